"""``python -m autograder <command>``: a thin layer over the release and grading pipelines."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from autograder import gradescope
from autograder import release as release_mod
from autograder.bundle import BundleError, bundle
from autograder.canvas import canvas_csv
from autograder.check import check
from autograder.cluster import parse_resources
from autograder.course import REPO_ROOT
from autograder.demo import run_demo
from autograder.evidence import EvidenceError
from autograder.grade import GradingError, Outcome, grade, merge, summary
from autograder.sandbox import (
    CELL_FACTOR,
    CELL_FLOOR,
    NOTEBOOK_FACTOR,
    NOTEBOOK_FLOOR,
    Limits,
    isolation_description,
)
from autograder.validate import validate

__all__ = ["build_parser", "main"]


def _release(args: argparse.Namespace) -> int:
    if args.check:
        problems = release_mod.check(REPO_ROOT)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        if problems:
            print(
                "notebooks/ is out of date: run `python -m autograder release` and commit the result.",
                file=sys.stderr,
            )
            return 1
        print("notebooks/ matches solutions/.")
        return 0
    for path in release_mod.release(REPO_ROOT, args.assignments or None):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


def _tidy(args: argparse.Namespace) -> int:
    changed = release_mod.tidy(REPO_ROOT)
    for path in changed:
        print(f"tidied {path.relative_to(REPO_ROOT)}")
    if not changed:
        print("solutions/ is tidy.")
    return 0


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes K/N, e.g. 2/4; got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"{text}: K must lie between 1 and N")
    return k, n


def _resources(text: str) -> dict[str, float]:
    try:
        return parse_resources(text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def print_table(outcomes: list[Outcome]) -> None:
    """One line per submission, then the summary."""
    width = max((len(o.student_id) for o in outcomes), default=7)
    print(f"{'student':<{width}}  {'assignment':<22} {'score':>11}  status")
    for o in outcomes:
        print(
            f"{o.student_id:<{width}}  {o.assignment_id:<22} {o.score:5.1f}/{o.max_score:<5g}  {o.status}"
        )
    print(summary(outcomes))


_NO_SANDBOX_HELP = (
    "run submissions without the bubblewrap sandbox (only where it cannot be installed, and for "
    "trusted submissions only: their code can then read and change anything you can). Without "
    "this flag, grading refuses to start on a machine that cannot sandbox"
)
_NO_SANDBOX = (
    "--no-sandbox: submissions ran WITHOUT the bubblewrap sandbox, able to read and change "
    "anything you can; use it for trusted submissions only"
)


def _grade(args: argparse.Namespace) -> int:
    limits = Limits(
        cell_seconds=args.timeout,
        notebook_seconds=args.notebook_timeout,
        memory_bytes=int(args.memory * 2**30),
        output_bytes=int(args.output_mb * 2**20),
    )
    outcomes = grade(
        Path(args.submissions),
        Path(args.out),
        assignments=args.assignment or None,
        jobs=args.jobs,
        limits=limits,
        shard=args.shard,
        reference_dir=Path(args.reference_cache) if args.reference_cache else None,
        progress=True,
        sandbox=not args.no_sandbox,
        show_hidden_tests=args.show_hidden_tests,
        scheduler=args.scheduler,
        resources=args.resources,
    )
    print_table(outcomes)
    print(_NO_SANDBOX if args.no_sandbox else f"sandbox: {isolation_description()}")
    print(f"grades: {Path(args.out) / 'grades.csv'}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    outcomes = merge([Path(p) for p in args.shards], Path(args.out))
    print_table(outcomes)
    print(f"grades: {Path(args.out) / 'grades.csv'}")
    return 0


def _export(args: argparse.Namespace) -> int:
    dest, unknown = canvas_csv(
        Path(args.out),
        Path(args.roster),
        Path(args.dest) if args.dest else None,
        id_column=args.id_column,
    )
    if unknown:
        print(
            f"warning: {len(unknown)} student(s) of grades.csv are not in the roster, so not in "
            f"{dest.name}: {', '.join(unknown)} (their grades are in grades.csv; check "
            f"--id-column {args.id_column!r})",
            file=sys.stderr,
        )
    print(f"Canvas grades: {dest} (import it in Canvas: Grades > Import)")
    return 0


def _check(args: argparse.Namespace) -> int:
    report = check(Path(args.notebook), dest=Path(args.dest) if args.dest else None)
    print(report.table())
    return 0 if not report.failed and not report.unimplemented else 1


def _gradescope(args: argparse.Namespace) -> int:
    if args.home:  # what run_autograder calls on Gradescope, for one submission
        return gradescope.run(Path(args.home))
    if not args.assignment or not args.out:
        raise GradingError("gradescope takes ASSIGNMENT --out autograder.zip (or --run HOME)")
    zip_path = gradescope.build(
        args.assignment,
        Path(args.out).resolve(),
        reference_cache=Path(args.reference_cache) if args.reference_cache else None,
        visibility=args.visibility,
        sandbox=not args.no_sandbox,
    )
    print(f"Gradescope autograder: {zip_path} (upload it under Configure Autograder > Zip file)")
    if args.no_sandbox:
        print(_NO_SANDBOX)
    return 0


def _validate(args: argparse.Namespace) -> int:
    problems = validate(REPO_ROOT, args.assignments or None, jobs=args.jobs)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    if problems:
        return 1
    print("every solution passes all its tests, and every released notebook fails them.")
    return 0


def _bundle(args: argparse.Namespace) -> int:
    dest = bundle(Path(args.dest))
    print(f"student bundle written to {dest} (no solutions, hidden tests or grading files)")
    return 0


def _demo(args: argparse.Namespace) -> int:
    dest = Path(args.dest) if args.dest else Path(tempfile.mkdtemp(prefix="autograder-demo-"))
    outcomes = run_demo(dest, jobs=args.jobs, sandbox=not args.no_sandbox)
    print_table(outcomes)
    print(_NO_SANDBOX if args.no_sandbox else f"sandbox: {isolation_description()}")
    print(
        f"everything the run wrote is in {dest / 'graded'}: grades.csv, scores.csv, feedback/, gradebook.db"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("release", help="generate notebooks/ from solutions/ with nbgrader")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument(
        "--check", action="store_true", help="exit 1 if notebooks/ or solutions/ are out of date"
    )
    p.set_defaults(run=_release)

    p = commands.add_parser(
        "tidy", help="strip outputs and extra metadata from solutions/, refresh setup cells"
    )
    p.set_defaults(run=_tidy)

    defaults = Limits()
    p = commands.add_parser("grade", help="autograde a class of submissions")
    p.add_argument(
        "submissions",
        help="a folder (or .zip) with one subfolder per student, or nbgrader's submitted/",
    )
    p.add_argument(
        "--out",
        required=True,
        help="folder for grades.csv, scores.csv, feedback/ and the gradebook",
    )
    p.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="submissions run at once (default: the number of cores)",
    )
    p.add_argument(
        "--timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help=f"seconds any cell may run, the reference run's included (default: {CELL_FACTOR} "
        f"times what the cell took in the reference run, at least {CELL_FLOOR}; a cell the "
        "reference lacks gets the limit of its longest cell)",
    )
    p.add_argument(
        "--notebook-timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help=f"seconds one notebook may run (default: {NOTEBOOK_FACTOR} times the reference "
        f"run, at least {NOTEBOOK_FLOOR})",
    )
    p.add_argument(
        "--memory",
        type=float,
        default=defaults.memory_bytes / 2**30,
        help="GiB one submission may use (default %(default)s)",
    )
    p.add_argument(
        "--output-mb",
        type=float,
        default=defaults.output_bytes / 2**20,
        help="MiB of output one notebook may keep (default %(default)s)",
    )
    p.add_argument(
        "--shard",
        type=_shard,
        default=None,
        help="grade only shard K of N of the students, e.g. 2/4",
    )
    p.add_argument(
        "--reference-cache",
        default=None,
        metavar="DIR",
        help="where the reference solutions' runs are kept between grading runs and reused while "
        "the course is unchanged (default: $AUTOGRADER_REFERENCE_CACHE, else reference/ in your "
        "cache folder, ~/.cache/nn-architectures-course/ on Linux)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the submissions on a Dask cluster: local:N for N worker processes on this "
        "machine, or a running scheduler such as tcp://HOST:8786 (needs "
        "pip install -r requirements-cluster.txt; scoring and the files stay here)",
    )
    p.add_argument(
        "--resources",
        type=_resources,
        default=None,
        metavar="NAME=AMOUNT[,...]",
        help="with --scheduler: what each submission asks of a worker, e.g. GPU=1 for workers "
        "started with `dask worker ADDRESS --resources GPU=1`",
    )
    p.add_argument("--no-sandbox", action="store_true", help=_NO_SANDBOX_HELP)
    p.add_argument(
        "--show-hidden-tests",
        action="store_true",
        help="keep the hidden tests' source in the HTML feedback (left out by default)",
    )
    p.set_defaults(run=_grade)

    p = commands.add_parser("merge", help="combine the output folders of sharded grade runs")
    p.add_argument("shards", nargs="+", help="output folders of `grade --shard K/N` runs")
    p.add_argument(
        "--out", required=True, help="folder for the merged grades, feedback and gradebook"
    )
    p.set_defaults(run=_merge)

    p = commands.add_parser(
        "check", help="a student's check before handing in: run the notebook, list its tests"
    )
    p.add_argument("notebook", help="the notebook you are about to hand in")
    p.add_argument(
        "--dest", default=None, help="folder for the clean copy to hand in (default: hand-in/)"
    )
    p.set_defaults(run=_check)

    p = commands.add_parser("export", help="write a grading run's grades for a gradebook")
    p.add_argument("out", help="a grading output folder (with grades.csv)")
    p.add_argument("--format", choices=["canvas"], required=True, help="the gradebook's format")
    p.add_argument(
        "--roster",
        required=True,
        help="Canvas's gradebook export for the course (Grades > Export), one row per student",
    )
    p.add_argument(
        "--id-column",
        default="SIS Login ID",
        help="the roster column that holds the students' ids as in the submissions folder "
        "(default: %(default)s)",
    )
    p.add_argument("--dest", default=None, help="the file to write (default: OUT/canvas.csv)")
    p.set_defaults(run=_export)

    p = commands.add_parser("gradescope", help="build an assignment's Gradescope autograder zip")
    p.add_argument("assignment", nargs="?", help="the assignment id, e.g. 01_mlp_backprop")
    p.add_argument("--out", default=None, help="the zip to write, e.g. autograder.zip")
    p.add_argument(
        "--visibility",
        choices=gradescope.VISIBILITIES,
        default="after_published",
        help="when students see their per-cell scores (default: %(default)s); the hidden tests' "
        "details appear only after publication whatever this says",
    )
    p.add_argument(
        "--reference-cache",
        default=None,
        metavar="DIR",
        help="where the reference run is kept (as for grade); the zip carries it",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade on Gradescope even where bubblewrap cannot run there: student code can then "
        "read the reference evidence in the zip and forge its grade (trusted submissions only)",
    )
    p.add_argument("--run", dest="home", default=None, metavar="HOME", help=argparse.SUPPRESS)
    p.set_defaults(run=_gradescope)

    p = commands.add_parser(
        "validate", help="check that solutions pass all tests and releases fail them"
    )
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="notebooks run at once (default: the number of cores)",
    )
    p.set_defaults(run=_validate)

    p = commands.add_parser("bundle", help="write a student-only copy of the course")
    p.add_argument("dest", help="a new folder")
    p.set_defaults(run=_bundle)

    p = commands.add_parser(
        "demo", help="release, simulate a class and grade it, in about a minute"
    )
    p.add_argument(
        "--dest",
        default=None,
        help="where to keep the demo's files (default: a new temporary folder)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="submissions run at once (default: the number of cores)",
    )
    p.add_argument("--no-sandbox", action="store_true", help=_NO_SANDBOX_HELP)
    p.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (GradingError, EvidenceError, BundleError, release_mod.ReleaseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
