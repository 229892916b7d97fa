"""Is the code, notebooks included, lint-clean and formatted as pyproject.toml says?"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT


def _ruff(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    return subprocess.run([exe, *args], cwd=REPO_ROOT, capture_output=True, text=True)


@pytest.mark.parametrize(
    "args", [("check", "."), ("format", "--check", ".")], ids=["lint", "format"]
)
def test_ruff(args):
    """ruff finds nothing to fix (run `ruff check --fix . && ruff format .` to fix)."""
    result = _ruff(*args)
    assert result.returncode == 0, result.stdout + result.stderr
