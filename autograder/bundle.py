"""``python -m autograder bundle DEST``: the course as students receive it, and nothing more.

The bundle holds the generated notebooks, the helper package, the bundled data and a student
README and requirements file. Solutions, hidden tests, the autograder, the test suite and the
grading configuration stay behind; :func:`bundle_problems` scans the result to prove it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.course import RELEASE_DIR, REPO_ROOT
from autograder.release import leaks

__all__ = ["BundleError", "bundle", "bundle_problems"]

_COPIED = (RELEASE_DIR, "course_utils", "data", "pyproject.toml", "LICENSE")
_FORBIDDEN_NAMES = (
    "solutions",
    "autograder",
    "tests",
    "nbgrader_config.py",
    "gradebook.db",
    ".git",
)
_FORBIDDEN_TEXT = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

_STUDENT_README = """\
# Neural Network Architectures: student edition

Five notebooks, from a perceptron to a Vision Transformer. Each exercise is a function whose body
reads `raise NotImplementedError()`: replace it with your code and run the test cell below it.

    python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt && jupyter lab notebooks/

Before handing in, run the notebook's last cell ("Ready to hand in?"), or in a terminal

    python -m course_utils.handin notebooks/01_mlp_backprop/01_mlp_backprop.ipynb

It runs your notebook again from the top in a fresh kernel, lists which visible tests pass, which
fail and which exercises are unimplemented, and writes a clean copy, named as the grader expects
(for example `01_mlp_backprop.ipynb`), to `hand-in/` beside your notebook: hand that in.
The visible tests are not the whole grade: hidden tests check your functions on other inputs.
"""

_STUDENT_REQUIREMENTS = """\
torch>=2.2
torchvision>=0.17
numpy>=1.24
matplotlib>=3.7
tqdm>=4.64
jupyterlab>=4.0,<5
-e .
"""


class BundleError(RuntimeError):
    """The bundle would contain something students must not get."""


def bundle_problems(dest: Path) -> list[str]:
    """Everything in ``dest`` that must not reach students, one line each."""
    import nbformat

    problems = []
    for path in sorted(dest.rglob("*")):
        rel = path.relative_to(dest).as_posix()
        if path.name in _FORBIDDEN_NAMES:
            problems.append(f"{rel} must not be in a student bundle")
        elif path.suffix == ".ipynb":
            problems += [f"{rel}: {line}" for line in leaks(nbformat.read(path, as_version=4))]
        elif path.is_file() and path.suffix in (".py", ".md", ".txt", ".json"):
            text = path.read_text(errors="replace")
            problems += [
                f"{rel} contains {marker!r}" for marker in _FORBIDDEN_TEXT if marker in text
            ]
    return problems


def bundle(dest: Path, root: Path = REPO_ROOT) -> Path:
    """Writes the student copy of the course to ``dest`` (which must not exist yet)."""
    if dest.exists():
        raise BundleError(f"{dest} already exists: choose a new folder so nothing is overwritten")
    if not (root / RELEASE_DIR).is_dir():
        raise BundleError(
            f"{root / RELEASE_DIR} is missing: run `python -m autograder release` first"
        )
    dest.mkdir(parents=True)
    # hand-in/: clean copies the hand-in check wrote beside a notebook, nobody's to ship
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "full", "hand-in")
    for name in _COPIED:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    (dest / "README.md").write_text(_STUDENT_README)
    (dest / "requirements.txt").write_text(_STUDENT_REQUIREMENTS)
    problems = bundle_problems(dest)
    if problems:
        shutil.rmtree(dest)
        raise BundleError("the bundle would leak:\n  " + "\n  ".join(problems))
    return dest
