"""Tests for course_utils/__init__.py: check_hand_in resolves, and nothing heavy loads early."""

from __future__ import annotations

import subprocess
import sys

import pytest

import course_utils


def test_check_hand_in_resolves_to_the_frontends():
    """The notebooks' last cell, ``from course_utils import check_hand_in``, gets the real one."""
    from course_utils import check_hand_in
    from course_utils.frontend import check_hand_in as real

    assert check_hand_in is real and course_utils.__all__ == ["check_hand_in"]


def test_unknown_name_is_an_attribute_error():
    """A typo gets the usual AttributeError."""
    with pytest.raises(AttributeError, match="no attribute 'fit'"):
        course_utils.fit  # noqa: B018  (import it from course_utils.training)


def test_importing_checks_loads_neither_torch_nor_matplotlib_nor_nbformat():
    """The grader imports course_utils.checks: it must not pay for torch, matplotlib or
    nbformat (the hand-in check's, seconds to import)."""
    heavy = ("torch", "matplotlib", "nbformat")
    code = f"import sys, course_utils.checks; print(*[m in sys.modules for m in {heavy}])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False"] * len(heavy)
