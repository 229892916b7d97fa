"""Tests for course_utils/__init__.py: every public name resolves, and nothing heavy loads early."""

from __future__ import annotations

import subprocess
import sys

import pytest

import course_utils


@pytest.mark.parametrize("name", course_utils.__all__)
def test_public_name_resolves_to_its_module(name):
    """Each re-exported name is the object its module defines and lists in its own __all__."""
    value = getattr(course_utils, name)
    module = sys.modules[f"course_utils.{course_utils._MODULE_OF[name]}"]
    assert value is getattr(module, name) and name in module.__all__


def test_unknown_name_is_an_attribute_error():
    """A typo gets the usual AttributeError."""
    with pytest.raises(AttributeError, match="no attribute 'fitt'"):
        course_utils.fitt  # noqa: B018


def test_importing_checks_loads_neither_torch_nor_matplotlib():
    """The grader imports course_utils.checks: it must not pay for torch or matplotlib."""
    code = "import sys, course_utils.checks; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]
