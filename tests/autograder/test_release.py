"""Tests for autograder/release.py: student notebooks come from solutions only, with nothing leaked."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO_ROOT, assignment_ids, setup_cell_source
from autograder.demo import make_demo_course
from autograder.release import check, leaks, release, tidy


def _cells(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def test_release_strips_solutions_and_hidden_tests(tiny_course: Path):
    """Does the student notebook keep signatures and visible tests but lose solutions and hidden tests?"""
    nb = nbformat.read(tiny_course / "notebooks" / "tiny" / "tiny.ipynb", as_version=4)
    cells = _cells(nb)
    assert leaks(nb) == []
    assert "def softmax(Z):" in cells["softmax"].source
    assert "raise NotImplementedError()" in cells["softmax"].source
    assert "check_close(softmax(np.zeros((1, 2)))" in cells["test_softmax"].source
    assert "record(" not in cells["test_softmax"].source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_check_detects_drift(tmp_path: Path):
    """release --check passes on a fresh release and names each stale, missing or extra file."""
    root = make_demo_course(tmp_path / "course")
    assert check(root) == []
    student = root / "notebooks" / "tiny" / "tiny.ipynb"
    nb = json.loads(student.read_text())
    nb["cells"][0]["source"] = "edited by hand"
    student.write_text(json.dumps(nb))
    (root / "notebooks" / "orphan").mkdir()
    (root / "notebooks" / "orphan" / "orphan.ipynb").write_text("{}")
    problems = check(root)
    assert "notebooks/tiny/tiny.ipynb is out of date" in problems
    assert "notebooks/orphan/orphan.ipynb has no solution it comes from" in problems
    shutil.rmtree(root / "notebooks" / "tiny")
    assert "notebooks/tiny/tiny.ipynb is missing" in check(root)


def test_tidy_strips_outputs_and_refreshes_setup_cell(tmp_path: Path):
    """Is a solution with outputs, extra metadata and an old setup cell flagged, then tidied?"""
    root = make_demo_course(tmp_path / "course")
    path = root / "solutions" / "tiny" / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    cells = _cells(nb)
    cells["setup"].source = "# an old setup cell"
    cells["softmax"].outputs = [nbformat.v4.new_output("stream", text="hi")]
    cells["softmax"].execution_count = 3
    cells["softmax"].metadata["collapsed"] = True
    nb.metadata["widgets"] = {}
    nb.cells.insert(2, nbformat.v4.new_code_cell("print('an unmarked cell')"))
    nbformat.write(nb, path)
    release(root)
    assert any("not tidy" in p for p in check(root))
    assert tidy(root) == [path]
    cells = _cells(nbformat.read(path, as_version=4))
    assert cells["setup"].source == setup_cell_source(root)
    assert cells["softmax"].outputs == [] and set(cells["softmax"].metadata) == {"nbgrader"}
    (unmarked,) = [c for c in cells.values() if c.source == "print('an unmarked cell')"]
    assert unmarked.metadata["nbgrader"]["locked"] and unmarked.metadata["nbgrader"][
        "grade_id"
    ].startswith("code_")
    assert tidy(root) == []


def test_unknown_assignment_is_a_clear_error(tmp_path: Path):
    """Releasing an assignment that does not exist lists the ones that do."""
    root = make_demo_course(tmp_path / "course")
    with pytest.raises(ValueError, match="unknown assignment 'nope'; the course has: tiny"):
        release(root, ["nope"])


@pytest.mark.skipif(not assignment_ids(), reason="the course has no solution notebooks yet")
def test_repository_notebooks_are_current_and_leak_free():
    """Is notebooks/ exactly what the solutions generate, with no solution or hidden test in it?"""
    assert check(REPO_ROOT) == []
    for path in sorted((REPO_ROOT / "notebooks").glob("*/*.ipynb")):
        assert leaks(nbformat.read(path, as_version=4)) == [], path


# The lectures' internal file names (../shared/seeds/000_* to 004_*) and the nicknames they led
# to: a student has never been given any of them.
_INTERNAL_LECTURE_NAMES = re.compile(
    r"\bseed(?:s/| lecture| 00\d)|\blecture 00\d|\b00[0-4]_|Frankfurt lecture|Beibin Li lecture"
    r"|CS ?231A lecture",
    re.IGNORECASE,
)


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_student_notebooks_name_lectures_by_title_and_author(assignment_id: str):
    """Each notebook's introduction names its lectures by title and author, and no cell uses
    an internal name for one."""
    nb = nbformat.read(REPO_ROOT / "notebooks" / assignment_id / f"{assignment_id}.ipynb", 4)
    # 01 to 05 follow the backbone lecture (Yunhui Guo's); the optional 06, Beibin Li's
    backbone = "(Beibin Li" if assignment_id == "06_sequence_models" else "(Yunhui Guo"
    assert "**Lectures.**" in nb.cells[0].source and backbone in nb.cells[0].source
    named = [
        f"cell {i}: {m.group(0)!r}"
        for i, c in enumerate(nb.cells)
        for m in _INTERNAL_LECTURE_NAMES.finditer(c.source)
    ]
    assert not named, f"{assignment_id} names lectures by internal names: {named}"
