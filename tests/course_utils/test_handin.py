"""Tests for course_utils/handin.py: the hand-in check's core, without the grader's package."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest

from course_utils.cells import grade_id
from course_utils.handin import (
    COURSE_ROOT,
    HandInError,
    check,
    identify,
    released_ids,
    tampered,
)

RELEASED_01 = COURSE_ROOT / "notebooks" / "01_mlp_backprop" / "01_mlp_backprop.ipynb"
needs_01 = pytest.mark.skipif(not RELEASED_01.is_file(), reason="notebook 01 is not released")


def _cell(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if grade_id(c) == gid)


@needs_01
def test_identify_by_cells_not_name():
    """A notebook is the released one it shares graded cells with; one with none is refused."""
    assert "01_mlp_backprop" in released_ids()
    assignment_id, _ = identify(nbformat.read(RELEASED_01, as_version=4), COURSE_ROOT)
    assert assignment_id == "01_mlp_backprop"
    with pytest.raises(HandInError, match="none of the course's cells"):
        identify(nbformat.v4.new_notebook(), COURSE_ROOT)


@needs_01
def test_an_edited_test_cell_is_named_even_in_the_released_copy_itself():
    """A student working in notebooks/ checks the released file itself: nbgrader's checksum
    still shows the edit; a copy elsewhere shows it by its text, and a deletion too."""
    released = nbformat.read(RELEASED_01, as_version=4)
    edited = nbformat.read(RELEASED_01, as_version=4)
    _cell(edited, "test_relu").source = "pass"
    in_place = tampered(edited, edited)
    assert len(in_place) == 1 and in_place[0].startswith("test cell test_relu was edited")
    edited.cells.remove(_cell(edited, "test_softmax"))
    assert tampered(edited, released) == [
        "test cell test_relu was edited; the grader runs the original instead",
        "test cell test_softmax was deleted; the grader restores it",
    ]
    assert tampered(released, released) == []


@needs_01
@pytest.mark.grading  # runs notebook 01 in a kernel (about 15 s)
def test_untouched_renamed_copy_is_all_unimplemented_and_gets_the_right_name(tmp_path):
    """A fresh copy under another name: every visible test waits for its exercise (the quiz's
    test included, whose NameError comes from the unanswered quiz), the rename and an edited
    test are named, and the clean copy has the grader's name and the original test."""
    nb = nbformat.read(RELEASED_01, as_version=4)
    original = _cell(nb, "test_relu").source
    _cell(nb, "test_relu").source = "pass  # an edited test"
    nbformat.write(nb, tmp_path / "Copy of 01.ipynb")
    report = check(tmp_path / "Copy of 01.ipynb")
    assert report.tests and report.passed == [] and report.failed == {}
    assert set(report.tests) <= set(report.unimplemented)
    assert any("named Copy of 01.ipynb, but this is 01_mlp_backprop" in n for n in report.notes)
    assert "test cell test_relu was edited; the grader runs the original instead" in report.notes
    assert report.clean_copy == tmp_path / "hand-in" / "01_mlp_backprop.ipynb"
    assert _cell(nbformat.read(report.clean_copy, as_version=4), "test_relu").source == original
    table = report.table()
    assert f"0 of {len(report.tests)} visible tests pass. This is not a grade" in table
    assert "not implemented  test_lr_quiz_answer" in table


@pytest.mark.grading  # runs the demo notebook in a kernel (a few seconds)
def test_the_check_needs_neither_the_grader_nor_nbgrader(tiny_course, tmp_path):
    """As in a student bundle or Colab: course_utils and notebooks/ only, and the grader's
    package and nbgrader unimportable."""
    course = tmp_path / "course"
    shutil.copytree(COURSE_ROOT / "course_utils", course / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copytree(tiny_course / "notebooks", course / "notebooks")
    shutil.copy(course / "notebooks" / "tiny" / "tiny.ipynb", tmp_path / "mine.ipynb")
    program = textwrap.dedent(
        f"""
        import sys
        sys.modules["autograder"] = sys.modules["nbgrader"] = None  # import fails
        from course_utils import handin
        assert str(handin.COURSE_ROOT) == {str(course.resolve())!r}, handin.COURSE_ROOT
        sys.exit(handin.main([{str(tmp_path / "mine.ipynb")!r}]))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", program], cwd=course, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 1, run.stderr[-2000:]  # 1: tests wait for their exercises
    assert "not implemented  test_square" in run.stdout
    assert "note: the file is named mine.ipynb, but this is tiny" in run.stdout
    assert (tmp_path / "hand-in" / "tiny.ipynb").is_file()
