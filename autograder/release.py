"""Student notebooks are generated from the solutions, never edited by hand.

``release`` runs nbgrader's ``generate_assignment`` on ``solutions/`` into ``notebooks/``;
``check`` regenerates into a temporary folder and lists every difference, so CI fails when
``notebooks/`` is stale; ``tidy`` puts solution notebooks in their committed form (no outputs,
metadata reduced to the kernelspec and nbgrader's cell metadata, the current setup cell).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from autograder.course import (
    RELEASE_DIR,
    REPO_ROOT,
    assignment_ids,
    ensure_scripts_on_path,
    setup_cell_source,
    source_notebook,
)
from autograder.nbgrader_config import course_config

__all__ = ["ReleaseError", "check", "leaks", "release", "tidy"]

# Text that must never reach a student notebook.
_LEAK_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "record(",
    "record_predictions(",
    "held_out_images(",
)
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


class ReleaseError(RuntimeError):
    """Generation failed or produced something that must not reach students."""


def _api(root: Path, release_dir: Path, db_dir: Path) -> NbGraderAPI:
    ensure_scripts_on_path()
    config = course_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.release_directory = str(release_dir)
    config.CourseDirectory.db_url = f"sqlite:///{db_dir / 'release.db'}"
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def leaks(nb: nbformat.NotebookNode) -> list[str]:
    """Solution code or hidden tests found in a (student) notebook, one line each."""
    found = []
    for index, cell in enumerate(nb.cells):
        for marker in _LEAK_MARKERS:
            if marker in cell.source:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"#{index}")
                found.append(f"cell {grade_id} contains {marker!r}")
    return found


def _generate(root: Path, release_dir: Path, ids: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="release-db-") as db_dir:
        api = _api(root, release_dir, Path(db_dir))
        for assignment_id in ids:
            result = api.generate_assignment(assignment_id)
            if not result["success"]:
                raise ReleaseError(
                    f"nbgrader could not generate {assignment_id}:\n{result.get('error') or result.get('log')}"
                )
    for path in sorted(release_dir.glob("*/*.ipynb")):
        found = leaks(nbformat.read(path, as_version=4))
        if found:
            raise ReleaseError(f"{path.name} would leak to students: " + "; ".join(found))


def release(root: Path = REPO_ROOT, assignments: list[str] | None = None) -> list[Path]:
    """Regenerates ``notebooks/`` from ``solutions/``. Returns the student notebooks written."""
    ids = assignments or assignment_ids(root)
    for assignment_id in ids:
        source_notebook(assignment_id, root)  # a clear error for an unknown id
    out = root / RELEASE_DIR
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        staged = Path(tmp) / RELEASE_DIR
        _generate(root, staged, ids)
        written = []
        for assignment_id in ids:
            shutil.rmtree(out / assignment_id, ignore_errors=True)
            shutil.copytree(staged / assignment_id, out / assignment_id)
            written += sorted((out / assignment_id).glob("*.ipynb"))
    return written


def _relative_files(folder: Path) -> dict[str, Path]:
    return {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


def check(root: Path = REPO_ROOT) -> list[str]:
    """Everything that differs between ``notebooks/`` and a fresh release, one line each."""
    problems = [f"{p}: {msg}" for p, msg in _solution_problems(root)]
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        staged = Path(tmp) / RELEASE_DIR
        _generate(root, staged, assignment_ids(root))
        fresh, current = _relative_files(staged), _relative_files(root / RELEASE_DIR)
        problems += [
            f"{RELEASE_DIR}/{name} is missing" for name in sorted(set(fresh) - set(current))
        ]
        problems += [
            f"{RELEASE_DIR}/{name} has no solution it comes from"
            for name in sorted(set(current) - set(fresh))
        ]
        for name in sorted(set(fresh) & set(current)):
            if _content(fresh[name]) != _content(current[name]):
                problems.append(f"{RELEASE_DIR}/{name} is out of date")
    return problems


def _content(path: Path) -> object:
    return json.loads(path.read_text()) if path.suffix == ".ipynb" else path.read_bytes()


def _tidied(nb: nbformat.NotebookNode, root: Path) -> nbformat.NotebookNode:
    """A copy of a solution notebook in its committed form."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in _KEPT_NOTEBOOK_METADATA}
    taken = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "nbgrader"}
        cell.pop("id", None)
        if not cell.metadata.get("nbgrader", {}).get("grade_id"):
            # Grading rebuilds submissions cell by cell from the source (course_utils.cells),
            # so every cell needs a grade_id; cells that are not answers are read-only.
            base = f"{cell.cell_type}_{hashlib.sha1(cell.source.encode()).hexdigest()[:8]}"
            grade_id, n = base, 1
            while grade_id in taken:  # two cells with the same text
                grade_id, n = f"{base}_{n}", n + 1
            taken.add(grade_id)
            cell.metadata["nbgrader"] = {
                "grade": False,
                "grade_id": grade_id,
                "locked": True,
                "schema_version": 3,
                "solution": False,
                "task": False,
            }
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup":
                cell.source = setup_cell_source(root)
    nb.nbformat_minor = 4  # no cell ids: nbgrader matches cells by grade_id
    return nb


def _solution_problems(root: Path) -> list[tuple[str, str]]:
    problems = []
    for assignment_id in assignment_ids(root):
        path = source_notebook(assignment_id, root)
        nb = nbformat.read(path, as_version=4)
        if json.loads(json.dumps(_tidied(nb, root))) != json.loads(json.dumps(nb)):
            problems.append(
                (
                    path.relative_to(root).as_posix(),
                    "not tidy (outputs, extra metadata or a stale setup cell); run `python -m autograder tidy`",
                )
            )
        setup = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
        if not setup:
            problems.append(
                (path.relative_to(root).as_posix(), "has no setup cell (grade_id 'setup')")
            )
    return problems


def tidy(root: Path = REPO_ROOT) -> list[Path]:
    """Rewrites solution notebooks that are not in committed form. Returns those changed."""
    changed = []
    for assignment_id in assignment_ids(root):
        path = source_notebook(assignment_id, root)
        nb = nbformat.read(path, as_version=4)
        tidied = _tidied(nb, root)
        if json.loads(json.dumps(tidied)) != json.loads(json.dumps(nb)):
            nbformat.write(tidied, path)
            changed.append(path)
    return changed
