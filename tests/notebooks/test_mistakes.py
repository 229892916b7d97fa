"""Does every recorded student mistake lose points, and only its own, under the grading protocol?
And does every correct answer written in another style keep all of them?

For each notebook with a module in ``tests/notebooks/mistakes/``, one kernel runs the solution notebook cell
by cell. For a mistake, the kernel runs the mistaken answer cell and then its test cell; the test
cell loses its points if it raises (a visible check) or if its records fail the comparison with
the reference run (a hidden check), exactly as in ``autograder.evidence``. The reference answer
cell is then run again so the next mistake starts from a correct notebook. The correct answers
in other styles (``tests/notebooks/styles/``) are swapped in the same way and must pass their own test cell
and every later one that uses them.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import tests.notebooks.mistakes
import tests.notebooks.styles
from autograder import heldout
from autograder.course import RELEASE_DIR, REPO_ROOT, assignment_ids, source_notebook
from autograder.evidence import (
    cell_records,
    compare_records,
    is_sealed_cell,
    is_test_cell,
    load_reference,
)
from autograder.reference import build_reference
from tests.notebooks.mistakes import Mistake
from tests.notebooks.styles import Style

pytestmark = pytest.mark.grading


def _modules(package):
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if module.ASSIGNMENT in assignment_ids():
            yield module


CASES = [
    pytest.param(
        module.ASSIGNMENT, mistake, id=f"{module.ASSIGNMENT}:{mistake.answer_cell}:{mistake.why}"
    )
    for module in _modules(tests.notebooks.mistakes)
    for mistake in module.MISTAKES
]

STYLES = [
    pytest.param(
        module.ASSIGNMENT, style, id=f"{module.ASSIGNMENT}:{style.answer_cell}:{style.why}"
    )
    for module in _modules(tests.notebooks.styles)
    for style in module.STYLES
]


class NotebookSession:
    """A kernel that runs a notebook's cells in order, on demand, and replays swapped cells."""

    def __init__(self, path: Path, workdir: Path):
        self.nb = nbformat.read(path, as_version=4)
        self.index = {
            c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(self.nb.cells)
        }
        self.client = NotebookClient(
            self.nb,
            timeout=600,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(workdir)}},
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
def sessions(
    tmp_path_factory: pytest.TempPathFactory, reference_cache: Path
) -> Iterator[Callable[[str], tuple[NotebookSession, dict]]]:
    """Opens one kernel per notebook, lazily, in a working folder laid out as the grader's."""
    opened: dict[str, tuple[NotebookSession, dict]] = {}

    def get(assignment_id: str) -> tuple[NotebookSession, dict]:
        if assignment_id not in opened:
            source = source_notebook(assignment_id)
            reference = load_reference(build_reference(source, reference_cache))
            workdir = tmp_path_factory.mktemp(assignment_id)
            session = NotebookSession(source, workdir)
            seed = heldout.course_seed(reference_cache)
            heldout.prepare_workdir(source.parent, session.nb, workdir, seed)
            opened[assignment_id] = (session, reference)
        return opened[assignment_id]

    yield get
    for session, _ in opened.values():
        session.close()


@pytest.mark.skipif(not CASES, reason="no notebook with recorded mistakes yet")
@pytest.mark.parametrize(("assignment_id", "mistake"), CASES)
def test_mistake_loses_points(sessions, assignment_id: str, mistake: Mistake):
    """The mistaken answer loses points in its exercise's test cells, and a visible check
    already tells the student in words (quizzes aside); the reference answer passes the cells run."""
    session, reference = sessions(assignment_id)
    nb = session.nb
    cells = _checked_cells(nb, mistake)
    assert mistake.test_cell in cells, (
        f"{mistake.test_cell} is not a test cell of {mistake.answer_cell}'s exercise"
    )
    answer_index = session.index[mistake.answer_cell]

    session.advance_to(cells[0])
    kept, seen = {}, []
    try:
        session.run(nbformat.v4.new_code_cell(mistake.source), answer_index)
        for grade_id in cells:
            index = session.index[grade_id]
            kept[grade_id] = _passes(session.run(nb.cells[index], index), reference[grade_id])
            if not mistake.hidden_only:
                visible = nbformat.v4.new_code_cell(_released_sources(assignment_id)[grade_id])
                seen += _errors(session.run(visible, index))
            if not kept[grade_id] and (seen or mistake.hidden_only):
                break  # lost points, and the student was told: the later cells add nothing
    finally:
        session.run(nb.cells[answer_index], answer_index)  # back to the reference answer
    for grade_id in kept:
        index = session.index[grade_id]
        assert _passes(session.run(nb.cells[index], index), reference[grade_id]), (
            f"with the reference answer restored, {grade_id} fails: the harness or the notebook is broken"
        )

    assert not all(kept.values()), (
        f"{mistake.why!r} would keep the points of {', '.join(cells)}: no visible check raised "
        f"and every hidden record matched the reference"
    )
    if mistake.hidden_only:
        return
    assert seen, (
        f"{mistake.why!r} passes every visible check of {', '.join(cells)} and loses points "
        "only in the hidden ones: add a visible check that names what is wrong"
    )
    first = seen[0]
    assert first.ename in CHECK_ERRORS, (
        f"{mistake.why!r}: the first visible failure is a raw {first.ename} ({first.evalue[:200]}), "
        "not a check that says in words what is wrong: wrap the call in check_call with a hint"
    )


# What a failed check of course_utils.checks raises: anything else is a raw error.
CHECK_ERRORS = {"AssertionError", "CheckFailed"}


def exercise_test_cells(nb: nbformat.NotebookNode, answer_cell: str) -> list[str]:
    """The test cells of ``answer_cell``'s exercise: those after it, up to the next answer cell."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    start, found = ids.index(answer_cell) + 1, []
    for cell, grade_id in zip(nb.cells[start:], ids[start:], strict=True):
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            break
        if is_test_cell(cell):
            found.append(grade_id)
    return found


def _checked_cells(nb: nbformat.NotebookNode, mistake: Mistake) -> list[str]:
    """The cells a mistake may lose points in: its exercise's test cells, the sealed accuracy
    checks (which train a model) only when the mistake names one."""
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    return [
        g
        for g in exercise_test_cells(nb, mistake.answer_cell)
        if g == mistake.test_cell or not is_sealed_cell(cells[g])
    ]


@functools.cache
def _released_sources(assignment_id: str) -> dict[str, str]:
    """Each cell's source in the student's notebook (hidden tests removed by the release), by grade_id."""
    nb = nbformat.read(
        REPO_ROOT / RELEASE_DIR / assignment_id / f"{assignment_id}.ipynb", as_version=4
    )
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}


def _errors(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for o in cell.outputs if o.output_type == "error"]


def _raised(cell: nbformat.NotebookNode) -> bool:
    return bool(_errors(cell))


def _passes(cell: nbformat.NotebookNode, reference: dict) -> bool:
    """Would this executed test cell earn its points? (No error, no duplicates, matching records.)"""
    records, duplicates = cell_records(cell)
    return not _raised(cell) and not duplicates and compare_records(records, reference).passed


_DEFINED = re.compile(r"^(?:def|class)\s+(\w+)|^(\w+)\s*(?:,\s*\w+\s*)*=", re.MULTILINE)


def _defined_names(source: str) -> set[str]:
    return {a or b for a, b in _DEFINED.findall(source)}


def dependent_test_cells(nb: nbformat.NotebookNode, answer_cell: str) -> list[str]:
    """The later test cells that use what ``answer_cell`` defines, directly or through a later
    answer cell, except sealed accuracy checks (a trained model's accuracy rightly depends on
    every piece it was built from)."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    start = ids.index(answer_cell)
    names = _defined_names(nb.cells[start].source)
    used = set(names)
    found = []
    for cell, grade_id in zip(nb.cells[start + 1 :], ids[start + 1 :], strict=True):
        meta = cell.metadata.get("nbgrader", {})
        mentions = any(re.search(rf"(?<![\w.]){re.escape(n)}\b", cell.source) for n in used)
        if meta.get("solution") and cell.cell_type == "code" and mentions:
            used |= _defined_names(cell.source)
        elif is_test_cell(cell) and mentions and not is_sealed_cell(cell):
            found.append(grade_id)
    return found


def _dependents(assignment_id: str, mistake: Mistake) -> list[str]:
    nb = nbformat.read(source_notebook(assignment_id), as_version=4)
    own = exercise_test_cells(nb, mistake.answer_cell)
    return [g for g in dependent_test_cells(nb, mistake.answer_cell) if g not in own]


DEPENDENT_CASES = [case for case in CASES if _dependents(*case.values)]


@pytest.mark.parametrize(("assignment_id", "mistake"), DEPENDENT_CASES)
def test_mistake_costs_only_its_own_cells(sessions, assignment_id: str, mistake: Mistake):
    """With the mistaken answer in place, the later exercises that build on it keep their points."""
    session, reference = sessions(assignment_id)
    dependents = _dependents(assignment_id, mistake)
    charged = _run_swapped(session, mistake.answer_cell, mistake.source, dependents, reference)
    assert not charged, f"{mistake.why!r} also costs the points of {', '.join(charged)}"


def _run_swapped(
    session: NotebookSession, answer_cell: str, source: str, test_cells: list[str], reference: dict
) -> list[str]:
    """Runs ``source`` in place of ``answer_cell``, then ``test_cells``; the test cells that would
    lose their points. The reference answer is restored afterwards."""
    session.advance_to(test_cells[-1])
    answer_index = session.index[answer_cell]
    failed = []
    try:
        session.run(nbformat.v4.new_code_cell(source), answer_index)
        for grade_id in test_cells:
            index = session.index[grade_id]
            if not _passes(session.run(session.nb.cells[index], index), reference[grade_id]):
                failed.append(grade_id)
    finally:
        session.run(session.nb.cells[answer_index], answer_index)
    return failed


@pytest.mark.parametrize(("assignment_id", "style"), STYLES)
def test_correct_answer_in_another_style_keeps_every_point(
    sessions, assignment_id: str, style: Style
):
    """A correct answer written as another textbook or library would keeps its own test cell's
    points and those of every later cell built on it."""
    session, reference = sessions(assignment_id)
    nb = nbformat.read(source_notebook(assignment_id), as_version=4)
    test_cells = dependent_test_cells(nb, style.answer_cell)
    assert test_cells, f"no test cell uses {style.answer_cell}"
    lost = _run_swapped(session, style.answer_cell, style.source, test_cells, reference)
    assert not lost, f"the correct {style.why!r} loses the points of {', '.join(lost)}"
