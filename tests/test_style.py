"""Is the code, notebooks included, lint-clean and formatted as pyproject.toml says?"""

from __future__ import annotations

import ast
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


# A newcomer reads a module, or a function, at one sitting: these are the house limits.
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60  # lines of code: docstring, blank and comment lines aside
PACKAGES = ("autograder", "course_utils")


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (REPO_ROOT / package).rglob("*.py"))


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int:
    numbers = set(range(node.lineno, node.end_lineno + 1))
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):  # the docstring
            numbers -= set(range(first.lineno, first.end_lineno + 1))
    return sum(
        1 for n in numbers if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")
    )


def test_modules_are_short():
    """No module in the packages is over MAX_MODULE_LINES lines: split it by concern."""
    long = {
        str(p.relative_to(REPO_ROOT)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_functions_are_short():
    """No function in the packages has over MAX_FUNCTION_LINES lines of code: name its steps."""
    long = {}
    for path in _modules():
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if (n := _code_lines(node, lines)) > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines of code: {long}"
