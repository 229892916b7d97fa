"""The student's "ready to hand in?" check: the core, and ``python -m course_utils.handin``.

:func:`check` finds which of the course's released notebooks a file is (by its cells' nbgrader
ids, not its name), says what the grader would repair (a renamed file, edited or deleted test
cells: they are restored), rebuilds it as the grader does (:func:`course_utils.cells.canonicalize`),
runs it top to bottom in a fresh kernel within the grader's per-cell limit
(:mod:`course_utils.kernels`), and reports each visible test: passed, failed (with its message)
or waiting for an unimplemented exercise. It writes the rebuilt notebook, under the name the
grader expects, for handing in. It never claims a grade: the hidden tests run only at grading.

It needs nbformat and nbclient only, so it works where the grader's package is not installed
(a student bundle, Colab); ``python -m autograder check`` is the same check with the grader's
reading of the file. The notebooks' last cell calls :func:`course_utils.frontend.check_hand_in`,
which runs this module as a program.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_utils.cells import (
    canonicalize,
    first_error,
    grade_id,
    is_test_cell,
    nbgrader_checksum,
    nbgrader_meta,
)
from course_utils.kernels import CELL_FLOOR, execute_notebook

__all__ = [
    "COURSE_ROOT",
    "HAND_IN_PREFIX",
    "HandInError",
    "Report",
    "check",
    "check_notebook",
    "identify",
    "main",
    "read_notebook",
    "released_ids",
    "tampered",
]

#: The course checkout (or student bundle, or Colab clone) this package is part of.
COURSE_ROOT = Path(__file__).resolve().parents[1]
#: How the report's line naming the clean copy begins (the notebook cell reads it back).
HAND_IN_PREFIX = "hand in: "
_RELEASE_DIR = "notebooks"


class HandInError(ValueError):
    """The file cannot be checked; the message says what to do."""


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
            lines.append(f"{HAND_IN_PREFIX}{self.clean_copy}")
        lines.append(
            f"{len(self.passed)} of {len(self.tests)} visible tests pass. "
            "This is not a grade: hidden tests run only when your work is graded."
        )
        return "\n".join(lines)


def released_ids(root: Path = COURSE_ROOT) -> list[str]:
    """The assignments whose student notebooks are released: every ``notebooks/<id>/<id>.ipynb``."""
    return sorted(
        p.parent.name for p in (root / _RELEASE_DIR).glob("*/*.ipynb") if p.stem == p.parent.name
    )


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``; a :class:`HandInError` says why it cannot be read."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many types for unreadable files
        raise HandInError(
            f"{path} cannot be handed in: not a valid Jupyter notebook "
            f"({type(exc).__name__}: {str(exc)[:160]})"
        ) from None
    return nb


def identify(nb: nbformat.NotebookNode, root: Path) -> tuple[str, nbformat.NotebookNode]:
    """The released notebook sharing the most graded cells with ``nb``: its id, and itself."""
    ours = {grade_id(c) for c in nb.cells} - {None}
    best, best_nb, best_overlap = "", None, 0
    for assignment_id in released_ids(root):
        path = root / _RELEASE_DIR / assignment_id / f"{assignment_id}.ipynb"
        released = nbformat.read(path, as_version=4)
        overlap = len(ours & {grade_id(c) for c in released.cells})
        if overlap > best_overlap:
            best, best_nb, best_overlap = assignment_id, released, overlap
    if best_nb is None:
        raise HandInError(
            "this notebook has none of the course's cells: open the released notebook from "
            "notebooks/ (or your copy of it) and check that one"
        )
    return best, best_nb


def tampered(nb: nbformat.NotebookNode, released: nbformat.NotebookNode) -> list[str]:
    """What the grader will put back: test and other locked cells edited or deleted.

    An edit shows as a text that differs from the released cell's or, when the file checked is
    the released copy itself (a student working in ``notebooks/``), as a cell that no longer
    matches the checksum nbgrader recorded for it.
    """
    mine = {grade_id(c): c for c in nb.cells if grade_id(c)}
    notes = []
    for cell in released.cells:
        gid, meta = grade_id(cell), nbgrader_meta(cell)
        if not gid or meta.get("solution"):
            continue
        what = "test cell" if meta.get("grade") else "locked cell"
        if gid not in mine:
            notes.append(f"{what} {gid} was deleted; the grader restores it")
        elif mine[gid].source != cell.source:
            notes.append(f"{what} {gid} was edited; the grader runs the original instead")
        elif meta.get("checksum") and nbgrader_checksum(cell) != meta["checksum"]:
            notes.append(
                f"{what} {gid} was edited; the grader runs the original instead, so its "
                "result here may differ from the grader's"
            )
    return notes


def _run(
    canonical: nbformat.NotebookNode, folder: Path, timeout: int
) -> tuple[nbformat.NotebookNode, str]:
    """``canonical`` run in a fresh kernel in a folder holding the files shipped in ``folder``,
    and a note if the run stopped early."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    executed = copy.deepcopy(canonical)  # the clean copy is written without outputs
    with tempfile.TemporaryDirectory(prefix="check-") as tmp:
        for extra in sorted(folder.iterdir()):  # the released notebook's own data files
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy2(extra, Path(tmp) / extra.name)
        try:
            execute_notebook(executed, Path(tmp), timeout=timeout)
        except (CellTimeoutError, DeadKernelError) as exc:
            return executed, (
                f"the run stopped ({type(exc).__name__}): a cell ran past {timeout} s or the "
                "kernel died, so later tests did not run; the grader stops such a cell too"
            )
    return executed, ""


def _waits(error: tuple[str, str] | None, stubs: list[str]) -> bool:
    """True if ``error`` comes from an unimplemented exercise: NotImplementedError, or a
    NameError for a name that an answer cell still raising it never got to define (``stubs``:
    those cells' grade ids and texts)."""
    if error is None:
        return False
    name = re.match(r"name '(\w+)' is not defined", error[1]) if error[0] == "NameError" else None
    return "NotImplementedError" in f"{error[0]}: {error[1]}" or bool(
        name and any(re.search(rf"\b{name[1]}\b", source) for source in stubs)
    )


def _tally(report: Report, executed: nbformat.NotebookNode) -> None:
    """Sorts each visible test (and each answer cell that is still a stub) into the report."""
    stubs: list[str] = []  # the answer cells that raised NotImplementedError: id and text
    for cell in executed.cells:
        gid, error = grade_id(cell), first_error(cell)
        if cell.cell_type != "code" or not gid:
            continue
        test, answer = is_test_cell(cell), bool(nbgrader_meta(cell).get("solution"))
        if test:
            report.tests.append(gid)
        message = f"{error[0]}: {error[1].splitlines()[0] if error[1] else ''}" if error else ""
        if (test or answer) and _waits(error, stubs):
            report.unimplemented.append(gid)  # the exercise, or a test that calls it
            stubs += [f"{gid}\n{cell.source}"] if answer else []  # a quiz's name is its id
        elif test and error:
            report.failed[gid] = message[:300]
        elif test and cell.get("execution_count"):
            report.passed.append(gid)
        elif test:
            report.failed[gid] = "did not run (the run stopped before it)"


def check_notebook(
    nb: nbformat.NotebookNode,
    path: Path,
    *,
    root: Path = COURSE_ROOT,
    dest: Path | None = None,
    timeout: int = CELL_FLOOR,
) -> Report:
    """Checks ``nb``, read from ``path``, as the grader will read it (see the module docstring).

    Args:
        nb: the notebook, already read (:func:`read_notebook`, or the grader's reading).
        path: where it was read from: its name is checked, the clean copy goes beside it.
        root: the course (its ``notebooks/`` folder holds the released notebooks).
        dest: the folder for the clean copy (default: ``hand-in/`` beside ``path``).
        timeout: seconds any one cell may run (default: the grader's floor).

    Raises:
        HandInError: the file is not a notebook of the course; the message says what to do.
    """
    assignment_id, released = identify(nb, root)
    report = Report(assignment_id)
    if path.name != f"{assignment_id}.ipynb":
        report.notes.append(
            f"the file is named {path.name}, but this is {assignment_id}: hand in the clean copy, "
            f"which has the name the grader expects ({assignment_id}.ipynb)"
        )
    report.notes += tampered(nb, released)
    canonical, repairs = canonicalize(nb, released)
    report.notes += [r for r in repairs if "restored" not in r]  # tampered() named those
    dest = dest or path.parent / "hand-in"
    clean_copy = dest / f"{assignment_id}.ipynb"
    if clean_copy.resolve() == path.resolve():
        raise HandInError(f"the clean copy would overwrite {path}: choose another --dest folder")

    executed, stopped = _run(canonical, root / _RELEASE_DIR / assignment_id, timeout)
    report.notes += [stopped] if stopped else []
    _tally(report, executed)
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(canonical, clean_copy)
    report.clean_copy = clean_copy
    return report


def check(
    path: Path, *, root: Path = COURSE_ROOT, dest: Path | None = None, timeout: int = CELL_FLOOR
) -> Report:
    """:func:`check_notebook` of the notebook at ``path``."""
    return check_notebook(read_notebook(path), path, root=root, dest=dest, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.handin NOTEBOOK [--dest DIR]``: prints the report.

    Exit status 0 when every visible test passes, 1 when some fail or wait for an exercise,
    2 when the file cannot be checked.
    """
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.handin",
        description="Ready to hand in? Runs a notebook from the top in a fresh kernel and lists "
        "its visible tests (not a grade: hidden tests run only when your work is graded).",
    )
    parser.add_argument("notebook", help="the notebook you are about to hand in")
    parser.add_argument(
        "--dest", default=None, help="folder for the clean copy (default: hand-in/)"
    )
    parser.add_argument("--timeout", type=int, default=CELL_FLOOR, help="seconds per cell")
    args = parser.parse_args(argv)
    path = Path(args.notebook)
    print(
        f"Checking {path.name}: running it from the top in a fresh kernel "
        "(this takes about as long as running the whole notebook) ...",
        flush=True,
    )
    try:
        report = check(path, dest=Path(args.dest) if args.dest else None, timeout=args.timeout)
    except HandInError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    return 0 if not report.failed and not report.unimplemented else 1


if __name__ == "__main__":
    sys.exit(main())
