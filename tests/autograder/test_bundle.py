"""Tests for autograder/bundle.py: the student copy holds no solutions, hidden tests or grading files."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.bundle import BundleError, bundle, bundle_problems
from autograder.course import assignment_ids


def test_bundle_is_clean_and_complete(tiny_course: Path, tmp_path: Path):
    """The bundle has notebooks, helpers, data and a README, and nothing that must stay behind."""
    dest = bundle(tmp_path / "student", root=tiny_course)
    assert (dest / "notebooks" / "tiny" / "tiny.ipynb").is_file()
    assert (dest / "README.md").is_file() and (dest / "requirements.txt").is_file()
    assert not (dest / "solutions").exists() and not (dest / "autograder").exists()
    assert bundle_problems(dest) == []


def test_bundle_problems_finds_leaks(tmp_path: Path):
    """A solution folder, grading config or a hidden-test marker are each reported."""
    (tmp_path / "solutions").mkdir()
    (tmp_path / "nbgrader_config.py").write_text("c = 1")
    (tmp_path / "notes.md").write_text("### BEGIN HIDDEN TESTS")
    problems = bundle_problems(tmp_path)
    assert any("solutions" in p for p in problems)
    assert any("nbgrader_config.py" in p for p in problems)
    assert any("notes.md contains 'BEGIN HIDDEN TESTS'" in p for p in problems)


def test_bundle_never_overwrites(tmp_path: Path, tiny_course: Path):
    """An existing destination is refused, so nothing is lost."""
    (tmp_path / "exists").mkdir()
    with pytest.raises(BundleError, match="already exists"):
        bundle(tmp_path / "exists", root=tiny_course)


@pytest.mark.skipif(not assignment_ids(), reason="the course has no assignments yet")
def test_repository_bundle_is_clean(tmp_path: Path):
    """The real course bundles without a leak."""
    assert bundle_problems(bundle(tmp_path / "student")) == []
