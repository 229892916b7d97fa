"""Reading nbgrader cells, and rebuilding a submission around the released notebook.

Here rather than in ``autograder`` because the student's hand-in check
(:mod:`course_utils.handin`) needs the very same rules, and it runs where the grader's package
is not installed (a student bundle, Colab): this module needs nbformat and nothing else.

:func:`canonicalize`: students edit, delete, duplicate and reorder cells, by accident or not.
What runs at grading is the *source* notebook's cell sequence: every locked cell (test cells
with their hidden tests, narrative, setup) comes from the source with the source's metadata, and
each answer cell takes the student's text for that ``grade_id``. Cells the student added
(scratch work, helpers) are kept, after the source cell they followed. So an edited or emptied
test cell is restored, a deleted one is back, duplicates and reordering change nothing, and
tampered nbgrader metadata (points, grade ids, locked flags) is replaced by the source's.
"""

from __future__ import annotations

import copy
import hashlib

from nbformat import NotebookNode
from nbformat.corpus.words import generate_corpus_id
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

__all__ = [
    "canonicalize",
    "first_error",
    "grade_id",
    "is_test_cell",
    "nbgrader_checksum",
    "nbgrader_meta",
]


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata, or {} (also when a student's file holds something else there)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader grade_id, or None for a cell nbgrader does not track."""
    return nbgrader_meta(cell).get("grade_id")


def first_error(cell: NotebookNode) -> tuple[str, str] | None:
    """The first error a code cell's outputs hold: its type and its message, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return str(output.get("ename", "")), str(output.get("evalue", ""))
    return None


def is_test_cell(cell: NotebookNode) -> bool:
    """True for an autograded test cell: a graded, locked code cell that is not an answer cell."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _stub(cell: NotebookNode) -> NotebookNode:
    if cell.cell_type == "code":
        return new_code_cell(
            "# this answer cell was missing from the submission\nraise NotImplementedError()"
        )
    return new_markdown_cell("(this answer was missing from the submission)")


def canonicalize(student: NotebookNode, source: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """The notebook to grade, and notes on what was repaired (see the module docstring).

    Args:
        student: the submitted notebook (already read and validated).
        source: the instructor's nbgrader source notebook for the same assignment (or its
            released student notebook, for the student's check: the same cells and metadata).
    """
    source_ids = [grade_id(c) for c in source.cells]
    known = {gid for gid in source_ids if gid}
    answers: dict[str, NotebookNode] = {}
    extras: dict[str | None, list[NotebookNode]] = {}  # anchor grade_id -> cells added after it
    notes: list[str] = []
    anchor: str | None = None
    for cell in student.cells:
        gid = grade_id(cell)
        if gid in known:
            source_cell = source.cells[source_ids.index(gid)]
            if nbgrader_meta(source_cell).get("solution"):
                if gid in answers:
                    notes.append(f"answer cell {gid} appeared twice; the first copy was graded")
                else:
                    answers[gid] = cell
            anchor = gid
        elif cell.cell_type in ("code", "markdown"):
            added = (
                new_code_cell(cell.source)
                if cell.cell_type == "code"
                else new_markdown_cell(cell.source)
            )
            extras.setdefault(anchor, []).append(added)

    cells = list(extras.get(None, []))
    for gid, source_cell in zip(source_ids, source.cells, strict=True):
        if nbgrader_meta(source_cell).get("solution"):
            student_cell = answers.get(gid)
            if student_cell is None or student_cell.cell_type != source_cell.cell_type:
                notes.append(f"answer cell {gid} was missing; it was graded as unanswered")
                cell = _stub(source_cell)
            else:
                cell = copy.deepcopy(source_cell)
                cell.source = student_cell.source
        else:
            cell = copy.deepcopy(source_cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata = copy.deepcopy(source_cell.metadata)
        cells.append(cell)
        cells.extend(extras.get(gid, []) if gid else [])

    present = {grade_id(c) for c in student.cells}
    restored = [
        gid
        for gid, source_cell in zip(source_ids, source.cells, strict=True)
        if gid and gid not in present and not nbgrader_meta(source_cell).get("solution")
    ]
    if restored:  # a missing answer has its own note above
        notes.append(f"{len(restored)} locked cell(s) deleted from the submission were restored")
    for cell in cells:  # the course's nbformat 4.4 cells have none; 4.5 needs one on every cell
        cell.setdefault("id", generate_corpus_id())
    return new_notebook(cells=cells, metadata=copy.deepcopy(source.metadata)), notes


def nbgrader_checksum(cell: NotebookNode) -> str:
    """The checksum nbgrader records for a locked or graded cell (``metadata.nbgrader.checksum``).

    The same digest as ``nbgrader.utils.compute_checksum``, computed without nbgrader: when the
    file a student checks is the course's own copy, an edited test cell shows only here.
    """
    meta = nbgrader_meta(cell)
    grade, solution = meta.get("grade", False), meta.get("solution", False)
    locked = False if solution else True if grade else meta.get("locked", False)
    digest = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(grade), str(solution), str(locked)):
        digest.update(str(part).encode("utf-8"))
    digest.update(str(meta.get("grade_id", "")).encode("utf-8"))
    if grade:
        digest.update(str(float(meta.get("points", 0))).encode("utf-8"))
    return digest.hexdigest()
