"""``python -m autograder validate``: every solution passes its tests, every release fails them.

Each assignment's source notebook must serve as the reference (it runs without error and every
test cell records its hidden checks), and its released student notebook, handed in untouched,
must earn 0 points in every autograded cell: a test that a stub passes grades nothing. No
autograded cell may be worth more than :data:`MAX_CELL_POINTS`, a trained model's sealed accuracy
check aside: a cell checks one behaviour, so one slip never costs a whole exercise. Every source
cell needs a ``grade_id``: the grader rebuilds a submission around the source's cells by their
ids, and a cell without one would be taken for a student's own and run twice.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from autograder.course import RELEASE_DIR, REPO_ROOT, assignment_ids, source_notebook
from autograder.evidence import EvidenceError, is_sealed_cell, is_test_cell
from autograder.grade import grade
from autograder.sandbox import isolation_problem
from course_utils.cells import grade_id

__all__ = ["MAX_CELL_POINTS", "cell_problems", "validate"]

MAX_CELL_POINTS = 3


def cell_problems(nb: nbformat.NotebookNode, assignment_id: str) -> list[str]:
    """Source cells without a grade_id, and autograded test cells worth more than MAX_CELL_POINTS
    (sealed accuracy checks aside)."""
    unnamed = [
        f"{assignment_id}: cell {index} ({_first_line(cell)!r}) has no grade_id; give it one "
        "(in JupyterLab: the nbgrader sidebar, e.g. read-only) so that grading can tell it from a "
        "cell a student added"
        for index, cell in enumerate(nb.cells)
        if not grade_id(cell)
    ]
    return unnamed + [
        f"{assignment_id}: {meta['grade_id']} is worth {meta['points']:g} points; split it into "
        f"cells of one behaviour each, at most {MAX_CELL_POINTS} points apiece"
        for cell in nb.cells
        if is_test_cell(cell)
        and not is_sealed_cell(cell)
        and float((meta := cell.metadata.nbgrader).get("points", 0)) > MAX_CELL_POINTS
    ]


def _first_line(cell: nbformat.NotebookNode) -> str:
    return next((line for line in cell.source.splitlines() if line.strip()), "")[:60]


def validate(
    root: Path = REPO_ROOT, assignments: list[str] | None = None, *, jobs: int | None = None
) -> list[str]:
    """Problems found, one line each; an empty list means the course is consistent."""
    ids = assignments or assignment_ids(root)
    problems = [
        problem
        for assignment_id in ids
        for problem in cell_problems(
            nbformat.read(source_notebook(assignment_id, root), as_version=4), assignment_id
        )
    ]
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        submissions = Path(tmp) / "submissions" / "released"
        submissions.mkdir(parents=True)
        for assignment_id in ids:
            released = root / RELEASE_DIR / assignment_id / f"{assignment_id}.ipynb"
            if not released.is_file():
                problems.append(
                    f"{assignment_id}: {released} is missing; run `python -m autograder release`"
                )
                continue
            nbformat.write(nbformat.read(released, as_version=4), submissions / released.name)
        try:
            outcomes = grade(
                submissions.parent,
                Path(tmp) / "out",
                assignments=ids,
                root=root,
                jobs=jobs,
                # the instructor's own notebooks: sandboxed where possible, trusted elsewhere
                sandbox=isolation_problem() is None,
            )
        except EvidenceError as exc:  # the reference solution fails its own tests
            return [*problems, str(exc)]
        for outcome in outcomes:
            if outcome.status == "missing":
                continue
            passing = [c["grade_id"] for c in outcome.cells if c["score"] > 0]
            if passing:
                problems.append(
                    f"{outcome.assignment_id}: the untouched release earns points in {', '.join(passing)}"
                )
    return problems
