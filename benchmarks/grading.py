"""Grading throughput: plain sequential nbgrader against ``python -m autograder grade --jobs J``.

    python benchmarks/grading.py [--assignment 01_mlp_backprop] [--students 6] [--jobs 2]

One run, six measurements on the same N correct submissions:

1. bare: each notebook executed once with nbclient, one after the other (no grading at all);
2. nbgrader: plain sequential ``nbgrader autograde`` then ``generate_feedback`` (its default
   preprocessors, one student at a time), the way most courses grade today;
3. first run: ``grade(..., jobs=J)`` with an empty reference cache, so it builds the reference
   run first (the time spent in it is counted separately);
4. autograder: the same class again into a new output folder, the reference cache now full
   (what every later grading run of the course is): the time it spends on references is printed;
5. the same without the bubblewrap sandbox (``sandbox=False``, what ``--no-sandbox`` does), so
   the sandbox's own cost is measured side by side;
6. cluster: the same through Dask, ``grade(..., scheduler="local:J")`` (J worker processes on
   this machine, the cluster's start included), against 4.

Printed: the throughput ratio nbgrader / autograder (target >= 1.7 with 2 jobs on 2 cores), the
sandboxed run's time over the unsandboxed one's (target <= 1.10: the sandbox costs at most 10 %
of throughput), the overhead per submission over bare execution, counted in job-slot
seconds: ``autograder_wall * J / N - bare / N`` (target <= 2 s), the Dask run's time over the
thread run's (target <= 1.10), the reference time of the second run (target: none), and the
time scoring and feedback take per submission on the instructor's machine, where they run one at
a time whatever the cluster (the floor of any grading run's length).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

import autograder.grade as grade_module
import autograder.preparation as preparation
import autograder.scoring as scoring_module
from autograder.course import REPO_ROOT, ensure_scripts_on_path, source_notebook
from autograder.demo import solved


@contextlib.contextmanager
def timed(module: object, name: str, spent: list[float]) -> Iterator[None]:
    """Adds the time spent inside ``module.name`` to ``spent[0]`` while in the block."""
    original = getattr(module, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


def bare(notebooks: list[Path]) -> float:
    start = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    return time.perf_counter() - start


def plain_nbgrader(assignment_id: str, students: list[str], subs: Path, work: Path) -> float:
    ensure_scripts_on_path()
    config = Config()
    config.CourseDirectory.root = str(work)
    config.CourseDirectory.db_url = f"sqlite:///{work / 'gradebook.db'}"
    config.Execute.timeout = 600
    shutil.copytree(source_notebook(assignment_id).parent, work / "source" / assignment_id)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    assert api.generate_assignment(assignment_id)["success"]
    for student in students:
        dest = work / "submitted" / student / assignment_id
        dest.mkdir(parents=True)
        shutil.copy(subs / student / f"{assignment_id}.ipynb", dest)
    start = time.perf_counter()
    for student in students:
        result = api.autograde(assignment_id, student)
        assert result["success"], result.get("error")
        assert api.generate_feedback(assignment_id, student)["success"]
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_mlp_backprop")
    parser.add_argument("--students", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    # Every side gets one BLAS/torch thread per kernel, what the grader gives each of its 2 jobs
    # on 2 cores: with the libraries' default, a lone notebook-01 kernel runs several times
    # slower here (NumPy's and torch's pools contend), which would flatter the comparison.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        students = [f"s{i:03d}" for i in range(args.students)]
        subs = tmp / "subs"
        for student in students:
            (subs / student).mkdir(parents=True)
            nbformat.write(
                solved(REPO_ROOT, args.assignment), subs / student / f"{args.assignment}.ipynb"
            )
        reference = tmp / "reference"
        t_bare = bare([subs / s / f"{args.assignment}.ipynb" for s in students])
        t_nbgrader = plain_nbgrader(args.assignment, students, subs, tmp / "nbgrader")
        times, outcomes, in_reference, in_scoring = {}, [], {}, {}
        runs = {
            "first": {},
            "threads": {},
            "no sandbox": {"sandbox": False},
            "dask": {"scheduler": f"local:{args.jobs}"},
        }
        for name, options in runs.items():
            spent, scoring = [0.0], [0.0]
            start = time.perf_counter()
            with (
                timed(preparation, "build_reference", spent),
                timed(scoring_module, "score_one", scoring),
                timed(scoring_module, "write_feedback", scoring),
            ):
                outcomes += grade_module.grade(
                    subs,
                    tmp / f"out-{name}",
                    assignments=[args.assignment],
                    jobs=args.jobs,
                    reference_dir=reference,
                    **options,
                )
            times[name] = time.perf_counter() - start
            in_reference[name], in_scoring[name] = spent[0], scoring[0]
        t_ours, t_open, t_dask = times["threads"], times["no sandbox"], times["dask"]

    n = len(students)
    full = all(o.status == "graded" for o in outcomes)
    print(f"{n} submissions of {args.assignment}, jobs={args.jobs}, all graded: {full}")
    print(f"  bare execution        {t_bare:7.1f} s  ({t_bare / n:5.1f} s each)")
    print(f"  nbgrader, sequential  {t_nbgrader:7.1f} s  ({t_nbgrader / n:5.1f} s each)")
    print(f"  autograder --jobs {args.jobs}  {t_ours:7.1f} s  ({t_ours / n:5.1f} s each)")
    print(f"  the same, --no-sandbox {t_open:6.1f} s  ({t_open / n:5.1f} s each)")
    print(f"  --scheduler local:{args.jobs}  {t_dask:6.1f} s  ({t_dask / n:5.1f} s each)")
    print(
        f"  first run (empty cache) {times['first']:5.1f} s, of which references {in_reference['first']:.1f} s"
    )
    ratio = t_nbgrader / t_ours
    print(f"throughput ratio nbgrader / autograder: {ratio:.2f}x (target >= 1.7)")
    print(f"sandboxed / unsandboxed grading time: {t_ours / t_open:.2f}x (target <= 1.10)")
    overhead = t_ours * args.jobs / n - t_bare / n
    print(f"overhead per submission over bare execution: {overhead:.2f} job-slot s (target <= 2)")
    print(f"dask / thread grading time: {t_dask / t_ours:.2f}x (target <= 1.10)")
    print(f"reference time in the second run: {in_reference['threads']:.2f} s (target: none)")
    per = in_scoring["threads"] / n
    print(
        f"scoring and feedback, one at a time on this machine: {per:.2f} s per submission "
        f"(the floor for a class on any cluster: {300 * per / 60:.1f} min for 300, "
        f"{3000 * per / 60:.0f} min for 3,000)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
