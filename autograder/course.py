"""Where the course lives and what it holds: assignments, their notebooks, the setup cell."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

__all__ = [
    "COURSE_ID",
    "RELEASE_DIR",
    "REPO_ROOT",
    "SOLUTIONS_DIR",
    "assignment_ids",
    "ensure_scripts_on_path",
    "repository_url",
    "setup_cell_source",
    "source_notebook",
]

#: The course checkout this package was installed from (``pip install -e .``).
REPO_ROOT = Path(__file__).resolve().parents[1]
COURSE_ID = "nn-architectures"
SOLUTIONS_DIR = "solutions"  # nbgrader's source directory
RELEASE_DIR = "notebooks"  # nbgrader's release directory: what students open

_SETUP_CELL = """\
# Course setup: in Colab, fetch the course and install its helpers (Colab's own torch is kept);
# in a local checkout this cell does nothing.
import subprocess
import sys

COURSE_REPO = "{url}"
if "google.colab" in sys.modules:
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", COURSE_REPO, "/content/course"], check=False
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "-e", "/content/course"], check=True
    )
    sys.path.insert(0, "/content/course")"""


def assignment_ids(root: Path = REPO_ROOT) -> list[str]:
    """Assignment ids in course order: every ``solutions/<id>/<id>.ipynb``."""
    return sorted(
        p.parent.name for p in (root / SOLUTIONS_DIR).glob("*/*.ipynb") if p.stem == p.parent.name
    )


def source_notebook(assignment_id: str, root: Path = REPO_ROOT) -> Path:
    """The nbgrader source notebook of an assignment; a ValueError lists the known ones."""
    path = root / SOLUTIONS_DIR / assignment_id / f"{assignment_id}.ipynb"
    if not path.is_file():
        known = ", ".join(assignment_ids(root)) or "none"
        raise ValueError(f"unknown assignment {assignment_id!r}; the course has: {known}")
    return path


def repository_url(root: Path = REPO_ROOT) -> str:
    """The course repository address, read from ``[project.urls] Repository`` in pyproject.toml."""
    match = re.search(
        r'^Repository\s*=\s*"([^"]+)"', (root / "pyproject.toml").read_text(), re.MULTILINE
    )
    if not match:
        raise ValueError("pyproject.toml has no [project.urls] Repository entry")
    return match.group(1)


def setup_cell_source(root: Path = REPO_ROOT) -> str:
    """The first code cell of every notebook, with the repository address filled in."""
    return _SETUP_CELL.format(url=repository_url(root))


def ensure_scripts_on_path() -> None:
    """Puts this interpreter's scripts folder on PATH when nbgrader's tools are not found there.

    nbgrader runs ``alembic`` through PATH, which fails for ``venv/bin/python -m autograder``
    without an activated environment.
    """
    if shutil.which("alembic") is None:
        scripts = str(Path(sys.executable).parent)
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
