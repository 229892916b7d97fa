"""Shared fixtures: the demo assignment as a released course, and a grader bound to it."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.demo import make_demo_course
from autograder.grade import grade
from autograder.reference import default_cache
from autograder.sandbox import isolation_problem
from autograder.submissions import Outcome


def pytest_configure(config: pytest.Config) -> None:
    """In CI the sandbox must be there: its tests would otherwise skip and hide the gap."""
    if os.environ.get("CI") and isolation_problem():
        raise pytest.UsageError(
            f"CI needs the grading sandbox, but {isolation_problem()} (.ci/run installs bubblewrap)"
        )


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo course (one small assignment, ``tiny``) with its notebooks/ released."""
    return make_demo_course(tmp_path_factory.mktemp("tiny-course"))


@pytest.fixture(scope="session")
def grade_tiny(
    tiny_course: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., list[Outcome]]:
    """``grade`` on the demo course, sharing one reference run across the session.

    It sandboxes wherever bubblewrap works (always in CI); without it the grading tests still run.
    """
    return functools.partial(
        grade,
        root=tiny_course,
        reference_dir=tmp_path_factory.mktemp("tiny-reference"),
        sandbox=isolation_problem() is None,  # elsewhere the sandbox's own tests skip, saying why
    )


@pytest.fixture(scope="session")
def reference_cache() -> Path:
    """Where the course's reference runs are kept between test runs: ``.autograder/reference``
    (set in the root conftest.py; git ignores it).

    Each run is reused while its notebook, course_utils and data are unchanged (see
    ``autograder.reference.fingerprint``), so a clean clone, as in CI, executes each solution once.
    """
    return default_cache()
