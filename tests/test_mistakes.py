"""Does every recorded student mistake lose points under the grading protocol?

For each notebook with a module in ``tests/mistakes/``, one kernel runs the solution notebook cell
by cell. For a mistake, the kernel runs the mistaken answer cell and then its test cell; the test
cell loses its points if it raises (a visible check) or if its records fail the comparison with
the reference run (a hidden check), exactly as in ``autograder.evidence``. The reference answer
cell is then run again so the next mistake starts from a correct notebook.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import tests.mistakes
from autograder.course import REPO_ROOT, assignment_ids, source_notebook
from autograder.evidence import cell_records, compare_records, is_test_cell, load_reference
from autograder.reference import build_reference
from tests.mistakes import Mistake

pytestmark = pytest.mark.grading

REFERENCE_CACHE = REPO_ROOT / ".autograder" / "reference"


def _mistake_modules():
    for info in pkgutil.iter_modules(tests.mistakes.__path__):
        module = importlib.import_module(f"tests.mistakes.{info.name}")
        if module.ASSIGNMENT in assignment_ids():
            yield module


CASES = [
    pytest.param(
        module.ASSIGNMENT, mistake, id=f"{module.ASSIGNMENT}:{mistake.answer_cell}:{mistake.why}"
    )
    for module in _mistake_modules()
    for mistake in module.MISTAKES
]


class NotebookSession:
    """A kernel that runs a notebook's cells in order, on demand, and replays swapped cells."""

    def __init__(self, path: Path):
        self.nb = nbformat.read(path, as_version=4)
        self.index = {
            c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(self.nb.cells)
        }
        self.client = NotebookClient(
            self.nb,
            timeout=600,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        self.client.create_kernel_manager()
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        self.done = 0  # cells [0, done) have run

    def run(self, cell: nbformat.NotebookNode, index: int) -> nbformat.NotebookNode:
        original = self.nb.cells[index]
        cell = nbformat.from_dict(dict(cell, outputs=[]))
        try:
            return self.client.execute_cell(cell, index)
        finally:
            self.nb.cells[index] = original  # nbclient stores the executed cell there

    def advance_to(self, grade_id: str) -> None:
        """Runs every cell before ``grade_id``'s cell that has not run yet."""
        stop = self.index[grade_id]
        while self.done < stop:
            self.run(self.nb.cells[self.done], self.done)
            self.done += 1

    def close(self) -> None:
        self.client._cleanup_kernel()


@pytest.fixture(scope="module")
def sessions() -> Iterator[Callable[[str], tuple[NotebookSession, dict]]]:
    """Opens one kernel per notebook, lazily, and its reference evidence."""
    opened: dict[str, tuple[NotebookSession, dict]] = {}

    def get(assignment_id: str) -> tuple[NotebookSession, dict]:
        if assignment_id not in opened:
            source = source_notebook(assignment_id)
            reference = load_reference(build_reference(source, REFERENCE_CACHE))
            opened[assignment_id] = (NotebookSession(source), reference)
        return opened[assignment_id]

    yield get
    for session, _ in opened.values():
        session.close()


@pytest.mark.skipif(not CASES, reason="no notebook with recorded mistakes yet")
@pytest.mark.parametrize(("assignment_id", "mistake"), CASES)
def test_mistake_loses_points(sessions, assignment_id: str, mistake: Mistake):
    """The mistaken answer makes its test cell fail (visible or hidden); the reference answer passes it."""
    session, reference = sessions(assignment_id)
    answer_index, test_index = session.index[mistake.answer_cell], session.index[mistake.test_cell]
    assert answer_index < test_index, "a mistake's test cell must come after its answer cell"
    test_cell = session.nb.cells[test_index]
    assert is_test_cell(test_cell), f"{mistake.test_cell} is not a graded test cell"

    session.advance_to(mistake.test_cell)
    try:
        session.run(nbformat.v4.new_code_cell(mistake.source), answer_index)
        wrong = session.run(test_cell, test_index)
    finally:
        session.run(session.nb.cells[answer_index], answer_index)  # back to the reference answer
    right = session.run(test_cell, test_index)

    assert _passes(right, reference[mistake.test_cell]), (
        f"with the reference answer restored, {mistake.test_cell} fails: the harness or the notebook is broken"
    )
    assert not _passes(wrong, reference[mistake.test_cell]), (
        f"{mistake.why!r} would keep the points of {mistake.test_cell}: no visible check raised "
        f"and every hidden record matched the reference"
    )


def _passes(cell: nbformat.NotebookNode, reference: dict) -> bool:
    """Would this executed test cell earn its points? (No error, no duplicates, matching records.)"""
    records, duplicates = cell_records(cell)
    raised = any(o.output_type == "error" for o in cell.outputs)
    return not raised and not duplicates and compare_records(records, reference).passed
