"""Shared fixtures: a tiny nbgrader course in a temporary folder, built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FILES = Path(__file__).parent / "files"


def make_course(root: Path, *assignments: str) -> Path:
    """A course root holding pyproject.toml and ``solutions/<a>/<a>.ipynb`` fixtures from tests/files."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    for assignment_id in assignments:
        (root / "solutions" / assignment_id).mkdir(parents=True, exist_ok=True)
        shutil.copy(
            FILES / assignment_id / f"{assignment_id}.ipynb", root / "solutions" / assignment_id
        )
    return root


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny fixture course with its notebooks/ released."""
    from autograder.release import release

    root = make_course(tmp_path_factory.mktemp("tiny-course"), "tiny")
    release(root)
    return root
