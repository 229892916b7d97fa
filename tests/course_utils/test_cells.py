"""course_utils/cells.py: rebuilding a submission around its source notebook, on hand-built ones.

The source is shaped like the course's (nbformat 4.4, no cell ids, a grade_id on every cell, as
``autograder.release`` guarantees): a title, an answer cell, its test with hidden tests, and a
written answer. The end-to-end versions (tampered submissions through ``grade``) are in
tests/autograder/test_robustness.py.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell
from nbgrader.utils import compute_checksum

from course_utils.cells import (
    canonicalize,
    first_error,
    grade_id,
    is_test_cell,
    nbgrader_checksum,
    nbgrader_meta,
)

_KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
_TEST = (
    "assert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\nassert add(-1, 1) == 0\n### END HIDDEN TESTS"
)


def _meta(gid: str, *, solution: bool = False, grade: bool = False, points: int = 0) -> dict:
    meta = {"grade_id": gid, "solution": solution, "grade": grade, "locked": not solution}
    return {**meta, "points": points} if grade else meta


def _with(cell: NotebookNode, meta: dict) -> NotebookNode:
    cell.metadata["nbgrader"] = meta
    return cell


def _source() -> NotebookNode:
    """intro (locked), add (answer), test_add (2 points, hidden tests), why (written answer)."""
    cells = [
        _with(new_markdown_cell("# Adding"), _meta("intro")),
        _with(new_code_cell("def add(a, b):\n    return a + b"), _meta("add", solution=True)),
        _with(new_code_cell(_TEST), _meta("test_add", grade=True, points=2)),
        _with(new_markdown_cell("Why?"), _meta("why", solution=True, grade=True, points=1)),
    ]
    for cell in cells:
        del cell["id"]  # nbformat 4.4 cells have none
    nb = new_notebook(metadata={"kernelspec": _KERNELSPEC})
    nb.nbformat_minor, nb.cells = 4, cells  # after new_notebook's check, which wants 4.5 ids
    return nb


def _submission() -> NotebookNode:
    """What a student hands in untouched: the source, answered, run, with its own metadata."""
    nb = copy.deepcopy(_source())
    nb.metadata["widgets"] = {"state": "from the student's Jupyter"}
    nb.cells[1].source = "def add(a, b):\n    return b + a"
    nb.cells[1].execution_count = 3
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="hi\n")]
    nb.cells[3].source = "Because."
    return nb


def _sources(nb: NotebookNode) -> list[tuple[str | None, str]]:
    return [(grade_id(c), c.source) for c in nb.cells]


def test_an_untouched_submission_keeps_its_answers_and_needs_no_repair() -> None:
    """Does a submission with every cell in place come back as the source with its answers?"""
    canonical, notes = canonicalize(_submission(), _source())
    assert notes == []
    assert _sources(canonical) == [
        ("intro", "# Adding"),
        ("add", "def add(a, b):\n    return b + a"),
        ("test_add", _TEST),
        ("why", "Because."),
    ]


def test_locked_cells_and_all_metadata_come_from_the_source() -> None:
    """Are an edited test, tampered points and a student's own metadata replaced by the source's?"""
    student = _submission()
    student.cells[2].source = "pass  # the test, emptied"
    student.cells[2].metadata["nbgrader"]["points"] = 100
    student.cells[1].metadata["nbgrader"]["locked"] = True
    student.cells[1].metadata["tags"] = ["raises-exception"]
    canonical, notes = canonicalize(student, _source())
    assert notes == []
    assert canonical.cells[2].source == _TEST
    assert [c.metadata for c in canonical.cells] == [c.metadata for c in _source().cells]
    assert canonical.metadata == _source().metadata  # the student's notebook metadata is dropped


def test_outputs_and_execution_counts_are_cleared() -> None:
    """Does nothing the student's run (or the instructor's) printed reach grading?"""
    student, source = _submission(), _source()
    for nb in (student, source):
        nb.cells[2].outputs = [new_output("stream", name="stdout", text="all tests passed\n")]
        nb.cells[1].execution_count = nb.cells[2].execution_count = 4
    canonical, _ = canonicalize(student, source)
    code = [c for c in canonical.cells if c.cell_type == "code"]
    assert [(c.outputs, c.execution_count) for c in code] == [([], None), ([], None)]


def test_reordered_and_duplicated_cells_change_nothing() -> None:
    """Is the source's order kept, and is the first copy of a twice-handed-in answer graded?"""
    student = _submission()
    second = copy.deepcopy(student.cells[1])
    second.source = "def add(a, b):\n    return 0"
    test = student.cells[2]
    student.cells = [student.cells[3], test, student.cells[1], second, test, student.cells[0]]
    canonical, notes = canonicalize(student, _source())
    assert _sources(canonical) == _sources(canonicalize(_submission(), _source())[0])
    assert notes == ["answer cell add appeared twice; the first copy was graded"]


def test_a_deleted_test_cell_is_restored() -> None:
    """Does deleting a test cell give the test back, with a note?"""
    student = _submission()
    del student.cells[2]
    canonical, notes = canonicalize(student, _source())
    assert _sources(canonical)[2] == ("test_add", _TEST)
    assert notes == ["1 locked cell(s) deleted from the submission were restored"]


@pytest.mark.parametrize("how", ["deleted", "turned into markdown"])
def test_a_missing_answer_becomes_a_stub_that_fails(how: str) -> None:
    """Is an answer cell that is gone (or no longer code) graded as an unanswered stub?"""
    student = _submission()
    if how == "deleted":
        del student.cells[1]
    else:
        student.cells[1] = _with(new_markdown_cell("def add..."), _meta("add", solution=True))
    canonical, notes = canonicalize(student, _source())
    stub = canonical.cells[1]
    assert stub.cell_type == "code" and grade_id(stub) == "add"
    assert stub.source.endswith("raise NotImplementedError()")
    assert notes == ["answer cell add was missing; it was graded as unanswered"]


def test_added_cells_stay_where_the_student_put_them_as_plain_cells() -> None:
    """Are scratch cells kept after the source cell they followed, without outputs or metadata?"""
    student = _submission()
    scratch = new_code_cell("print(add(2, 2))", execution_count=9)
    scratch.outputs = [new_output("stream", name="stdout", text="4\n")]
    scratch.metadata["tags"] = ["mine"]
    imposter = _with(new_code_cell("score = 100"), _meta("not_in_the_source", grade=True))
    student.cells[2:2] = [scratch, imposter]
    student.cells.insert(0, new_markdown_cell("my notes"))
    student.cells.append(new_raw_cell("raw text"))
    canonical, _ = canonicalize(student, _source())
    assert _sources(canonical) == [
        (None, "my notes"),  # before any source cell: at the top
        ("intro", "# Adding"),
        ("add", "def add(a, b):\n    return b + a"),
        (None, "print(add(2, 2))"),
        (None, "score = 100"),  # a grade_id the source lacks makes it no graded cell
        ("test_add", _TEST),
        ("why", "Because."),
    ]  # and the raw cell is gone
    added = canonical.cells[3]
    assert (added.outputs, added.execution_count, added.metadata) == ([], None, {})
    assert not nbgrader_meta(canonical.cells[4])


def test_the_result_is_a_valid_notebook_with_an_id_on_every_cell() -> None:
    """Is the rebuilt notebook valid nbformat 4.5, though the source's 4.4 cells have no ids?"""
    student = _submission()
    student.cells.append(new_code_cell("x = 1"))
    canonical, _ = canonicalize(student, _source())
    nbformat.validate(canonical)
    ids = [c.get("id") for c in canonical.cells]
    assert all(ids) and len(set(ids)) == len(ids)


def test_canonicalizing_twice_changes_nothing() -> None:
    """Is a rebuilt notebook its own rebuild (no notes, same cells), extras and repairs included?"""
    student = _submission()
    student.cells.insert(2, new_code_cell("print(add(2, 2))"))
    del student.cells[3]  # the test cell
    once, _ = canonicalize(student, _source())
    twice, notes = canonicalize(once, _source())
    assert notes == []

    def cells(nb: NotebookNode) -> list[dict]:
        return [{k: v for k, v in c.items() if k != "id"} for c in nb.cells]

    assert cells(twice) == cells(once)
    assert twice.metadata == once.metadata


def test_nbgrader_meta_ignores_metadata_that_is_not_a_dict() -> None:
    """Does a student's odd ``nbgrader`` value read as an untracked cell, not an exception?"""
    cell = new_code_cell("x", metadata={"nbgrader": "points: 100"})
    assert nbgrader_meta(cell) == {} and grade_id(cell) is None and not is_test_cell(cell)


def test_is_test_cell_means_graded_code_that_is_not_an_answer() -> None:
    """Are only graded, non-answer code cells test cells (not a manually graded code answer)?"""
    cells = _source().cells
    cells.append(_with(new_code_cell("..."), _meta("by_hand", solution=True, grade=True)))
    assert [is_test_cell(c) for c in cells] == [False, False, True, False, False]


def test_first_error_is_the_first_error_output() -> None:
    """Does first_error give the first error's name and message, skipping other outputs?"""
    cell = new_code_cell("...")
    assert first_error(cell) is None
    cell.outputs = [
        new_output("stream", name="stdout", text="checking\n"),
        new_output("error", ename="AssertionError", evalue="expected 3", traceback=[]),
        new_output("error", ename="ValueError", evalue="later", traceback=[]),
    ]
    assert first_error(cell) == ("AssertionError", "expected 3")


@pytest.mark.parametrize("index", range(4))
def test_nbgrader_checksum_is_nbgrader_s_own(index: int) -> None:
    """Is the checksum nbgrader's compute_checksum, for locked, answer, test and written cells?"""
    cell = _source().cells[index]
    assert nbgrader_checksum(cell) == compute_checksum(cell)
    cell.source += " "
    assert nbgrader_checksum(cell) == compute_checksum(cell)
