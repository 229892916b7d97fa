"""Rebuild a submission around the instructor's source notebook before it runs.

Students edit, delete, duplicate and reorder cells, by accident or not. What runs at grading is
the *source* notebook's cell sequence: every locked cell (test cells with their hidden tests,
narrative, setup) comes from the source with the source's metadata, and each answer cell takes
the student's text for that ``grade_id``. Cells the student added (scratch work, helpers) are
kept, after the source cell they followed. So an edited or emptied test cell is restored, a
deleted one is back, duplicates and reordering change nothing, and tampered nbgrader metadata
(points, grade ids, locked flags) is replaced by the source's.
"""

from __future__ import annotations

import copy

from nbformat import NotebookNode
from nbformat.corpus.words import generate_corpus_id
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.evidence import nbgrader_meta as _meta

__all__ = ["canonicalize"]


def _stub(cell: NotebookNode) -> NotebookNode:
    if cell.cell_type == "code":
        return new_code_cell(
            "# this answer cell was missing from the submission\nraise NotImplementedError()"
        )
    return new_markdown_cell("(this answer was missing from the submission)")


def canonicalize(student: NotebookNode, source: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """The notebook to grade, and notes on what was repaired.

    Args:
        student: the submitted notebook (already read and validated).
        source: the instructor's nbgrader source notebook for the same assignment.
    """
    source_ids = [_meta(c).get("grade_id") for c in source.cells]
    known = {gid for gid in source_ids if gid}
    answers: dict[str, NotebookNode] = {}
    extras: dict[str | None, list[NotebookNode]] = {}  # anchor grade_id -> cells added after it
    notes: list[str] = []
    anchor: str | None = None
    for cell in student.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in known:
            source_cell = source.cells[source_ids.index(grade_id)]
            if _meta(source_cell).get("solution"):
                if grade_id in answers:
                    notes.append(
                        f"answer cell {grade_id} appeared twice; the first copy was graded"
                    )
                else:
                    answers[grade_id] = cell
            anchor = grade_id
        elif cell.cell_type in ("code", "markdown"):
            added = (
                new_code_cell(cell.source)
                if cell.cell_type == "code"
                else new_markdown_cell(cell.source)
            )
            extras.setdefault(anchor, []).append(added)

    cells = list(extras.get(None, []))
    for grade_id, source_cell in zip(source_ids, source.cells, strict=True):
        if _meta(source_cell).get("solution"):
            student_cell = answers.get(grade_id)
            if student_cell is None or student_cell.cell_type != source_cell.cell_type:
                notes.append(f"answer cell {grade_id} was missing")
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
        cells.extend(extras.get(grade_id, []) if grade_id else [])

    restored = [
        gid for gid in known if gid not in {_meta(c).get("grade_id") for c in student.cells}
    ]
    if restored:
        notes.append(f"{len(restored)} cell(s) deleted from the submission were restored")
    for cell in cells:  # the course's nbformat 4.4 cells have none; 4.5 needs one on every cell
        cell.setdefault("id", generate_corpus_id())
    return new_notebook(cells=cells, metadata=copy.deepcopy(source.metadata)), notes
