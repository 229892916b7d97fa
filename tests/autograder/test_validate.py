"""Tests for autograder/validate.py: solutions pass all their tests, releases fail all of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from autograder.course import assignment_ids, source_notebook
from autograder.demo import make_demo_course
from autograder.release import release
from autograder.validate import cell_problems, validate


def _released_demo_with(tmp_path: Path, grade_id: str, edit: Callable[[str], str]) -> Path:
    """The demo course with one solution cell's source edited, released again."""
    root = make_demo_course(tmp_path / "course")
    path = root / "solutions" / "tiny" / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = edit(cell.source)
    nbformat.write(nb, path)
    release(root)
    return root


@pytest.mark.grading
def test_demo_course_validates(tiny_course: Path):
    """The demo course is consistent."""
    assert validate(tiny_course) == []


@pytest.mark.grading
def test_a_test_that_stubs_pass_is_reported(tmp_path: Path):
    """A test cell the untouched release passes (it checks nothing the student writes) is a problem."""
    always = '"""Always passes."""\n### BEGIN HIDDEN TESTS\nrecord("constant", 1.0)\n### END HIDDEN TESTS'
    root = _released_demo_with(tmp_path, "test_quiz", lambda source: always)
    assert validate(root) == ["tiny: the untouched release earns points in test_quiz"]


@pytest.mark.grading
def test_a_solution_failing_its_tests_is_reported(tmp_path: Path):
    """A reference solution that fails its own visible test cannot serve as the reference."""
    root = _released_demo_with(
        tmp_path, "square", lambda source: source.replace("return x * x", "return x + x")
    )
    (problem,) = validate(root)
    assert "cannot serve as the reference" in problem and "test_square" in problem


def test_a_cell_worth_more_than_three_points_is_reported(tmp_path: Path):
    """A test cell worth 4 points checks too much at once: one slip would cost all of them."""
    root = make_demo_course(tmp_path / "course")
    nb = nbformat.read(root / "solutions" / "tiny" / "tiny.ipynb", as_version=4)
    assert cell_problems(nb, "tiny") == []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_square":
            cell.metadata.nbgrader["points"] = 4
    (problem,) = cell_problems(nb, "tiny")
    assert "test_square is worth 4 points" in problem


def test_a_cell_without_a_grade_id_is_reported(tmp_path: Path):
    """A source cell without an id would be graded twice (the source's copy and the student's)."""
    root = make_demo_course(tmp_path / "course")
    nb = nbformat.read(root / "solutions" / "tiny" / "tiny.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("\nprint('a new cell')"))
    (problem,) = cell_problems(nb, "tiny")
    assert problem.startswith("tiny: cell 2 (\"print('a new cell')\") has no grade_id")


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_course_cells_have_ids_and_are_worth_at_most_three_points(assignment_id: str):
    """Every course cell has a grade_id; every autograded one, a trained model's accuracy aside,
    is worth <= 3 points."""
    nb = nbformat.read(source_notebook(assignment_id), as_version=4)
    assert cell_problems(nb, assignment_id) == []
