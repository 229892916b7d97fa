"""``python -m autograder check NOTEBOOK``: a student's "ready to hand in?" check.

It finds which of the course's released notebooks the file is (by its cells' nbgrader ids, not
its name), says what the grader would repair (a renamed file, edited or deleted test cells: they
are restored from the released notebook), rebuilds it as the grader does
(:func:`autograder.canonical.canonicalize`), runs it top to bottom in a fresh kernel, and reports
each visible test: passed, failed (with its message) or waiting for an unimplemented exercise.
It writes the rebuilt notebook, under the name the grader expects, for handing in. It never
claims a grade: the hidden tests run only when the instructor grades.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder import heldout
from autograder.canonical import canonicalize
from autograder.course import REPO_ROOT
from autograder.evidence import first_error, is_test_cell, nbgrader_meta
from autograder.evidence import grade_id as cell_id
from autograder.grade import GradingError, read_submission
from autograder.reference import execute_notebook
from autograder.sandbox import CELL_FLOOR

__all__ = ["Report", "check", "released_ids"]


@dataclass
class Report:
    """What the check found; :meth:`table` says it in words."""

    assignment_id: str
    notes: list[str] = field(default_factory=list)  # what the grader will repair, and why
    passed: list[str] = field(default_factory=list)  # test cells, by grade_id
    failed: dict[str, str] = field(default_factory=dict)  # test cell -> its first error line
    # answer cells, and test cells of exercises, still raising NotImplementedError
    unimplemented: list[str] = field(default_factory=list)
    clean_copy: Path | None = None
    tests: list[str] = field(default_factory=list)  # every visible test cell, in order

    def table(self) -> str:
        """One line per visible test in notebook order, then the notes and the verdict."""
        lines = [f"{self.assignment_id}: visible tests, run top to bottom in a fresh kernel"]
        for g in self.tests:
            if g in self.passed:
                lines.append(f"  passed           {g}")
            elif g in self.failed:
                lines.append(f"  FAILED           {g}: {self.failed[g]}")
            else:
                lines.append(
                    f"  not implemented  {g}: an exercise it calls raises NotImplementedError"
                )
        lines += [
            f"  not implemented  {g}: the answer cell raises NotImplementedError"
            for g in self.unimplemented
            if g not in self.tests
        ]
        lines += [f"  note: {n}" for n in self.notes]
        if self.clean_copy:
            lines.append(f"hand in: {self.clean_copy}")
        lines.append(
            f"{len(self.passed)} of {len(self.tests)} visible tests pass. "
            "This is not a grade: hidden tests run only when your work is graded."
        )
        return "\n".join(lines)


def released_ids(root: Path = REPO_ROOT) -> list[str]:
    """The assignments whose student notebooks are released: every ``notebooks/<id>/<id>.ipynb``."""
    return sorted(
        p.parent.name for p in (root / "notebooks").glob("*/*.ipynb") if p.stem == p.parent.name
    )


def _identify(nb: nbformat.NotebookNode, root: Path) -> tuple[str, nbformat.NotebookNode]:
    """The released notebook sharing the most graded cells with ``nb``."""
    ours = {cell_id(c) for c in nb.cells} - {None}
    best, best_nb, best_overlap = "", None, 0
    for assignment_id in released_ids(root):
        path = root / "notebooks" / assignment_id / f"{assignment_id}.ipynb"
        released = nbformat.read(path, as_version=4)
        overlap = len(ours & {cell_id(c) for c in released.cells})
        if overlap > best_overlap:
            best, best_nb, best_overlap = assignment_id, released, overlap
    if best_nb is None:
        raise GradingError(
            "this notebook has none of the course's cells: open the released notebook from "
            "notebooks/ (or your copy of it) and check that one"
        )
    return best, best_nb


def _tampered(nb: nbformat.NotebookNode, released: nbformat.NotebookNode) -> list[str]:
    """What the grader will put back: test and other locked cells edited or deleted."""
    mine = {cell_id(c): c for c in nb.cells if cell_id(c)}
    notes = []
    for cell in released.cells:
        grade_id, meta = cell_id(cell), nbgrader_meta(cell)
        if not grade_id or meta.get("solution"):
            continue
        what = "test cell" if meta.get("grade") else "locked cell"
        if grade_id not in mine:
            notes.append(f"{what} {grade_id} was deleted; the grader restores it")
        elif mine[grade_id].source != cell.source:
            notes.append(f"{what} {grade_id} was edited; the grader runs the original instead")
    return notes


def check(
    path: Path, *, root: Path = REPO_ROOT, dest: Path | None = None, timeout: int = CELL_FLOOR
) -> Report:
    """Checks a student's notebook as the grader will read it (see the module docstring).

    Args:
        path: the notebook to hand in.
        root: the course (its ``notebooks/`` folder holds the released notebooks).
        dest: the folder for the clean copy (default: ``hand-in/`` beside ``path``).
        timeout: seconds any one cell may run.

    Raises:
        GradingError: the file is not a notebook of the course; the message says what to do.
    """
    nb, problem = read_submission(path)
    if nb is None:
        raise GradingError(f"{path} cannot be handed in: {problem}")
    assignment_id, released = _identify(nb, root)
    report = Report(assignment_id)
    if path.name != f"{assignment_id}.ipynb":
        report.notes.append(
            f"the file is named {path.name}, but this is {assignment_id}: hand in the clean copy, "
            f"which has the name the grader expects ({assignment_id}.ipynb)"
        )
    report.notes += _tampered(nb, released)
    canonical, repairs = canonicalize(nb, released)
    report.notes += [r for r in repairs if "restored" not in r]  # _tampered named those

    executed = copy.deepcopy(canonical)  # the clean copy is written without outputs
    with tempfile.TemporaryDirectory(prefix="check-") as tmp:
        # the files shipped beside the released notebook (it asks for no held-out set)
        heldout.prepare_workdir(root / "notebooks" / assignment_id, released, Path(tmp), seed=0)
        try:
            executed = execute_notebook(executed, Path(tmp), timeout=timeout)
        except (CellTimeoutError, DeadKernelError) as exc:
            report.notes.append(
                f"the run stopped ({type(exc).__name__}): a cell ran past {timeout} s or the "
                "kernel died, so later tests did not run; the grader stops such a cell too"
            )
    for cell in executed.cells:
        gid, error = cell_id(cell), first_error(cell)
        if cell.cell_type != "code" or not gid:
            continue
        test = is_test_cell(cell)
        if test:
            report.tests.append(gid)
        message = f"{error[0]}: {error[1].splitlines()[0] if error[1] else ''}" if error else ""
        if "NotImplementedError" in message and (test or nbgrader_meta(cell).get("solution")):
            report.unimplemented.append(gid)  # the exercise, or a test that calls it
        elif test and error:
            report.failed[gid] = message[:300]
        elif test and cell.get("execution_count"):
            report.passed.append(gid)
        elif test:
            report.failed[gid] = "did not run (the run stopped before it)"

    dest = dest or path.parent / "hand-in"
    dest.mkdir(parents=True, exist_ok=True)
    report.clean_copy = dest / f"{assignment_id}.ipynb"
    if report.clean_copy.resolve() == path.resolve():
        raise GradingError(f"--dest would overwrite {path}: choose another folder")
    nbformat.write(canonical, report.clean_copy)
    return report
