"""``python -m autograder demo``: the instructor's whole workflow in about a minute.

A small embedded assignment (``autograder/demo/tiny``: square, softmax, a quiz and a written
answer) is released, a simulated class hands in every kind of submission an instructor meets, and
the class is graded with the real pipeline. The same builders serve the test suite.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

from autograder.course import REPO_ROOT
from autograder.release import release

__all__ = ["DEMO_ASSIGNMENT", "make_demo_course", "simulated_class", "solved"]

DEMO_ASSIGNMENT = "tiny"
DEMO_SOURCE = Path(__file__).parent / "demo" / DEMO_ASSIGNMENT / f"{DEMO_ASSIGNMENT}.ipynb"

_WRONG_SOFTMAX = "def softmax(Z):\n    E = np.exp(Z)  # forgot to subtract the row maximum\n    return E / E.sum(axis=1, keepdims=True)"
_CHEAT_SOFTMAX = (
    "import numpy\n"
    "import course_utils.checks as ck\n"
    "from IPython import get_ipython\n\n"
    "numpy.allclose = lambda *a, **k: True\n"
    "ck.check_close = lambda *a, **k: None\n"
    "get_ipython().showtraceback = lambda *a, **k: None\n\n\n"
    "def softmax(Z):\n    return np.ones_like(Z) / Z.shape[1]"
)


def _cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def make_demo_course(root: Path, source: Path = DEMO_SOURCE) -> Path:
    """A course root with one assignment (the demo's by default), released."""
    assignment_id = source.stem
    (root / "solutions" / assignment_id).mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")  # the setup cell's address
    shutil.copy(source, root / "solutions" / assignment_id / source.name)
    release(root)
    return root


def solved(course: Path, assignment_id: str, **answers: str) -> nbformat.NotebookNode:
    """The released notebook with every answer cell filled in from the solution, or from ``answers``."""
    source = _cells(
        nbformat.read(course / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    )
    nb = nbformat.read(
        course / "notebooks" / assignment_id / f"{assignment_id}.ipynb", as_version=4
    )
    for grade_id, cell in _cells(nb).items():
        if cell.metadata.get("nbgrader", {}).get("solution"):
            reference = re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n?", "", source[grade_id].source)
            cell.source = answers.get(grade_id, reference)
    return nb


def simulated_class(course: Path) -> dict[str, nbformat.NotebookNode]:
    """The demo assignment as handed in by seven kinds of student, keyed by student id."""
    released = course / "notebooks" / DEMO_ASSIGNMENT / f"{DEMO_ASSIGNMENT}.ipynb"
    tampered = solved(course, DEMO_ASSIGNMENT)
    test = _cells(tampered)["test_softmax"]
    test.source = "# nothing to test here"
    test.metadata["nbgrader"]["points"] = 100
    return {
        "s01_perfect": solved(course, DEMO_ASSIGNMENT),
        "s02_empty": nbformat.read(released, as_version=4),
        "s03_partly_wrong": solved(course, DEMO_ASSIGNMENT, softmax=_WRONG_SOFTMAX),
        "s04_hanging": solved(course, DEMO_ASSIGNMENT, square="while True:\n    pass"),
        "s05_crashing": solved(course, DEMO_ASSIGNMENT, quiz="import os\n\nos._exit(1)"),
        "s06_tampered": tampered,
        "s07_cheating": solved(course, DEMO_ASSIGNMENT, softmax=_CHEAT_SOFTMAX),
    }


def run_demo(dest: Path, *, jobs: int | None = None, sandbox: bool = True) -> list:
    """Releases the demo assignment, hands in the simulated class and grades it into ``dest``."""
    from autograder.grade import grade
    from autograder.sandbox import Limits

    course = make_demo_course(dest / "course-repo")
    submissions = dest / "submissions"
    for student_id, nb in simulated_class(course).items():
        (submissions / student_id).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, submissions / student_id / f"{DEMO_ASSIGNMENT}.ipynb")
    limits = Limits(cell_seconds=5, notebook_seconds=60, memory_bytes=2 * 2**30)
    return grade(
        submissions,
        dest / "graded",
        root=course,
        reference_dir=dest / "reference",
        jobs=jobs,
        limits=limits,
        progress=True,
        sandbox=sandbox,
    )
