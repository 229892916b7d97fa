"""Shared fixtures: the demo assignment as a released course in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.demo import make_demo_course


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo course (one small assignment, ``tiny``) with its notebooks/ released."""
    return make_demo_course(tmp_path_factory.mktemp("tiny-course"))
