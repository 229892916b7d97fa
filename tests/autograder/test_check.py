"""Tests for autograder/check.py: the student's "ready to hand in?" check."""

from __future__ import annotations

import nbformat
import pytest

from autograder.check import check
from autograder.cli import main
from autograder.demo import solved

pytestmark = pytest.mark.grading  # runs notebooks in kernels


def _cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def test_finished_work_passes_every_visible_test_and_gets_a_clean_copy(tiny_course, tmp_path):
    nbformat.write(solved(tiny_course, "tiny"), tmp_path / "tiny.ipynb")
    report = check(tmp_path / "tiny.ipynb", root=tiny_course)
    assert report.passed == ["test_square", "test_softmax", "test_quiz"]
    assert not report.failed and not report.unimplemented and not report.notes
    assert "3 of 3 visible tests pass. This is not a grade" in report.table()
    copy = nbformat.read(tmp_path / "hand-in" / "tiny.ipynb", as_version=4)
    assert _cells(copy)["square"].source == _cells(solved(tiny_course, "tiny"))["square"].source


def test_unfinished_renamed_and_tampered_work_is_named(tiny_course, tmp_path):
    released = nbformat.read(tiny_course / "notebooks" / "tiny" / "tiny.ipynb", as_version=4)
    nbformat.write(released, tmp_path / "fresh.ipynb")
    report = check(tmp_path / "fresh.ipynb", root=tiny_course)
    assert report.unimplemented == ["test_square", "test_softmax", "quiz"]
    assert report.passed == []
    assert any("named fresh.ipynb, but this is tiny" in n for n in report.notes)

    nb = solved(tiny_course, "tiny", softmax="def softmax(Z):\n    return Z")
    _cells(nb)["test_square"].source = "pass"  # an edited test
    nb.cells = [c for c in nb.cells if c is not _cells(nb)["test_quiz"]]  # a deleted one
    nbformat.write(nb, tmp_path / "tiny (1).ipynb")
    report = check(tmp_path / "tiny (1).ipynb", root=tiny_course, dest=tmp_path / "out")
    assert report.passed == ["test_square", "test_quiz"]  # both run as released
    assert list(report.failed) == ["test_softmax"]
    assert "differ" in report.failed["test_softmax"]
    assert "test cell test_square was edited; the grader runs the original instead" in report.notes
    assert "test cell test_quiz was deleted; the grader restores it" in report.notes
    restored = _cells(nbformat.read(tmp_path / "out" / "tiny.ipynb", as_version=4))
    assert restored["test_square"].source == _cells(released)["test_square"].source


def test_a_file_that_is_no_course_notebook_is_one_clear_line(tmp_path, capsys):
    (tmp_path / "notes.ipynb").write_text("{ not json")
    assert main(["check", str(tmp_path / "notes.ipynb")]) == 2
    assert "cannot be handed in: not a valid Jupyter notebook" in capsys.readouterr().err
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "empty.ipynb")
    assert main(["check", str(tmp_path / "empty.ipynb")]) == 2
    assert "has none of the course's cells" in capsys.readouterr().err
