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
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder.canonical import canonicalize
from autograder.course import REPO_ROOT
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


def _meta(cell: nbformat.NotebookNode) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


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
        grade_id, meta = cell_id(cell), _meta(cell)
        if not grade_id or meta.get("solution"):
            continue
        what = "test cell" if meta.get("grade") else "locked cell"
        if grade_id not in mine:
            notes.append(f"{what} {grade_id} was deleted; the grader restores it")
        elif mine[grade_id].source != cell.source:
            notes.append(f"{what} {grade_id} was edited; the grader runs the original instead")
    return notes


def _first_error(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    """The first error a cell raised: its type and the first line of its message."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            lines = str(output.get("evalue", "")).splitlines()
            return output.get("ename", ""), lines[0] if lines else ""
    return None


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

    folder = root / "notebooks" / assignment_id
    executed = copy.deepcopy(canonical)
    with tempfile.TemporaryDirectory(prefix="check-") as tmp:
        for extra in folder.iterdir():
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy2(extra, Path(tmp) / extra.name)
        try:
            executed = execute_notebook(executed, Path(tmp), timeout=timeout)
        except (CellTimeoutError, DeadKernelError) as exc:
            report.notes.append(
                f"the run stopped ({type(exc).__name__}): a cell ran past {timeout} s or the "
                "kernel died, so later tests did not run; the grader stops such a cell too"
            )
    for cell in executed.cells:
        meta, error = _meta(cell), _first_error(cell)
        if cell.cell_type != "code" or not cell_id(cell):
            continue
        if meta.get("grade") and not meta.get("solution"):
            report.tests.append(cell_id(cell))
        unfinished = error is not None and "NotImplementedError" in " ".join(error)
        if unfinished and (meta.get("solution") or meta.get("grade")):
            report.unimplemented.append(cell_id(cell))  # the exercise, or a test that calls it
        elif meta.get("grade") and not meta.get("solution"):
            if error:
                report.failed[cell_id(cell)] = f"{error[0]}: {error[1]}"[:300]
            elif cell.get("outputs") or cell.get("execution_count"):
                report.passed.append(cell_id(cell))
            else:
                report.failed[cell_id(cell)] = "did not run (the run stopped before it)"

    dest = dest or path.parent / "hand-in"
    dest.mkdir(parents=True, exist_ok=True)
    report.clean_copy = dest / f"{assignment_id}.ipynb"
    if report.clean_copy.resolve() == path.resolve():
        raise GradingError(f"--dest would overwrite {path}: choose another folder")
    nbformat.write(canonical, report.clean_copy)
    return report
