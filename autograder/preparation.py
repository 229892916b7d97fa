"""The course a grading run uses: an nbgrader course in ``OUT/course`` with its gradebook, the
assignments' reference evidence (built, or found in the reference cache) and the time limits
that follow from the reference run.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from autograder import heldout
from autograder.course import REPO_ROOT, ensure_scripts_on_path, source_notebook
from autograder.evidence import grade_id as cell_id
from autograder.nbgrader_config import course_config
from autograder.reference import build_reference, default_cache, reference_seconds
from autograder.sandbox import (
    CELL_FACTOR,
    CELL_FLOOR,
    NOTEBOOK_FACTOR,
    NOTEBOOK_FLOOR,
    REFERENCE_CELL_SECONDS,
    Limits,
)
from autograder.submissions import GradingError

__all__ = [
    "Course",
    "prepare_course",
    "time_limits",
]


@dataclass(frozen=True)
class Course:
    """An nbgrader course laid out for one grading run."""

    root: Path
    db_path: Path
    reference_dir: Path
    # orders the held-out sets and renders the capstone's (autograder.heldout)
    heldout_seed: int = 0
    # the HTML feedback keeps the hidden tests' source (an instructor's choice; off by default)
    show_hidden_tests: bool = False
    # how long each cell of each assignment's reference run took: assignment -> grade_id -> s
    reference_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    _files: dict[str, dict[str, bytes]] = field(default_factory=dict, repr=False, compare=False)

    def api(self, *, execute: bool = False) -> NbGraderAPI:
        ensure_scripts_on_path()
        config = course_config(
            reference_directory=str(self.reference_dir),
            execute=execute,
            show_hidden_tests=self.show_hidden_tests,
        )
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.source_directory = "source"
        config.CourseDirectory.release_directory = "release"
        config.CourseDirectory.db_url = f"sqlite:///{self.db_path}"
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def source(self, assignment_id: str) -> nbformat.NotebookNode:
        """The assignment's source notebook, as registered for this run."""
        path = self.root / "source" / assignment_id / f"{assignment_id}.ipynb"
        return nbformat.read(path, as_version=4)

    def workdir_files(self, assignment_id: str) -> dict[str, bytes]:
        """What every run of the assignment starts with (:func:`autograder.heldout.workdir_files`),
        built once per grading run."""
        if assignment_id not in self._files:
            folder = self.root / "source" / assignment_id
            self._files[assignment_id] = heldout.workdir_files(
                folder, self.source(assignment_id), self.heldout_seed
            )
        return self._files[assignment_id]


def prepare_course(
    out: Path,
    assignments: Iterable[str],
    root: Path = REPO_ROOT,
    reference_dir: Path | None = None,
    *,
    show_hidden_tests: bool = False,
    limits: Limits | None = None,
    jobs: int = 1,
) -> Course:
    """Creates ``out/course`` and ``out/gradebook.db`` for the given assignments.

    Reference evidence goes to ``reference_dir`` (default :func:`autograder.reference.default_cache`);
    files there are reused while their fingerprint is current. The reference runs, ``jobs`` at a
    time, under the cell limit and with the threads of ``limits``, like submissions.

    Raises:
        EvidenceError: a reference solution fails (the first in course order, if several do).
    """
    reference_dir = reference_dir or default_cache()
    limits = limits or Limits()
    course = Course(
        root=out / "course",
        db_path=out / "gradebook.db",
        reference_dir=reference_dir,
        heldout_seed=heldout.course_seed(reference_dir),
        show_hidden_tests=show_hidden_tests,
    )
    api = course.api()
    sources = {}
    for assignment_id in assignments:  # one at a time: the gradebook has one writer
        source = source_notebook(assignment_id, root)
        target = course.root / "source" / assignment_id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source.parent, target)
        result = api.generate_assignment(assignment_id)
        if not result["success"]:
            raise GradingError(
                f"nbgrader could not register {assignment_id}:\n{result.get('error') or result.get('log')}"
            )
        sources[assignment_id] = target / source.name
    build = functools.partial(
        build_reference,
        out_dir=course.reference_dir,
        timeout=limits.cell_seconds or REFERENCE_CELL_SECONDS,
        threads=limits.threads,
    )
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:  # each run is its own kernel
        references = dict(zip(sources, pool.map(build, sources.values()), strict=True))
    for assignment_id, reference in references.items():
        course.reference_seconds[assignment_id] = reference_seconds(reference)
    return course


def time_limits(
    nb: nbformat.NotebookNode, seconds: dict[str, float], limits: Limits
) -> tuple[Limits, list[int]]:
    """``limits`` with the notebook's time limit set, and each cell's limit in cell order.

    ``seconds`` is the reference run's time per cell, by grade_id; a number given in ``limits``
    wins. A cell the reference does not have (a student's own) gets the limit of its longest cell.
    """
    longest = max(seconds.values(), default=0.0)
    cells = [
        limits.cell_seconds
        or max(CELL_FLOOR, math.ceil(CELL_FACTOR * seconds.get(cell_id(c), longest)))
        for c in nb.cells
    ]
    notebook = limits.notebook_seconds or max(
        NOTEBOOK_FLOOR, math.ceil(NOTEBOOK_FACTOR * sum(seconds.values()))
    )
    return dataclasses.replace(limits, notebook_seconds=notebook), cells
