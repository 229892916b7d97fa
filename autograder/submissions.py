"""Reading a class's hand-ins: a folder, a zip or nbgrader's ``submitted/`` layout, never written to.

Each (student, assignment) becomes a :class:`Submission`; each result an :class:`Outcome`, one row
of grades.csv. ``--shard K/N`` keeps a deterministic share of the students (:func:`in_shard`).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from autograder.sandbox import (
    read_regular_file,
)

__all__ = [
    "MAX_SUBMISSION_BYTES",
    "GradingError",
    "Outcome",
    "Submission",
    "find_submissions",
    "handed_in",
    "in_shard",
    "open_submissions",
    "read_submission",
]


_log = logging.getLogger("autograder")

# A handed-in file larger than this is refused before it is parsed.
MAX_SUBMISSION_BYTES = 256 * 2**20


class GradingError(RuntimeError):
    """An instructor-side problem: the message says what to fix."""


@dataclass(frozen=True)
class Submission:
    """One student's notebook for one assignment (``path`` None when nothing usable was found)."""

    student_id: str
    assignment_id: str
    path: Path | None
    note: str = ""  # why path is None, when something else was found
    invalid: str = ""  # why the student's hand-in cannot be graded at all (e.g. an unsafe zip)


@dataclass
class Outcome:
    """What grading one submission produced (one row of grades.csv)."""

    student_id: str
    assignment_id: str
    status: str  # graded | timeout | crashed | invalid | missing
    message: str = ""
    score: float = 0.0
    max_score: float = 0.0
    cells: list[dict[str, object]] = field(default_factory=list)


def _extract(archive: Path, dest: Path) -> list[tuple[PurePosixPath, str]]:
    """Extracts the safe members of a zip; returns the others, each with why it was skipped."""
    skipped = []
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            name = PurePosixPath(member.filename)
            target = (dest / member.filename).resolve()
            if (
                name.is_absolute()
                or ".." in name.parts
                or not target.is_relative_to(dest.resolve())
            ):
                skipped.append((name, f"the zip holds an unsafe path ({member.filename})"))
            elif member.file_size > MAX_SUBMISSION_BYTES:
                skipped.append(
                    (name, f"{member.filename} is larger than {MAX_SUBMISSION_BYTES // 2**20} MiB")
                )
            else:
                zf.extract(member, dest)
    return skipped


def open_submissions(path: Path, scratch: Path) -> tuple[Path, dict[str, str]]:
    """The folder holding one subfolder per student, and the students whose hand-in is unusable.

    ``path`` is that folder itself or a zip, extracted to ``scratch``. A zip member with an unsafe
    path (``s002/../../x.ipynb``) or an outsized one is skipped and makes its student invalid;
    one that names no student is skipped with a logged warning.
    """
    skipped: list[tuple[PurePosixPath, str]] = []
    if path.is_file() and zipfile.is_zipfile(path):
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        skipped = _extract(path, scratch)
        path = scratch
        entries = [p for p in path.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        while len(entries) == 1 and entries[0].is_dir() and not any(entries[0].glob("*.ipynb")):
            path = entries[0]  # a zip of the folder rather than of its contents
            entries = [p for p in path.iterdir() if not p.name.startswith(".")]
    if not path.is_dir():
        raise GradingError(f"submissions {path} is neither a folder nor a zip file")
    folder = path / "submitted" if (path / "submitted").is_dir() else path
    prefix = folder.relative_to(scratch).parts if folder.is_relative_to(scratch) else ()
    problems: dict[str, str] = {}
    for name, reason in skipped:
        parts = name.parts[len(prefix) :] if name.parts[: len(prefix)] == prefix else ()
        if len(parts) > 1 and parts[0] not in ("..", "."):
            problems.setdefault(parts[0], reason)
        else:
            _log.warning("skipped %s: it belongs to no student folder", reason)
    return folder, problems


def _inside(path: Path, folder: Path) -> bool:
    """Is ``path`` really inside ``folder``, with no symbolic link on the way?"""
    return not any(
        p.is_symlink() for p in [path, *path.parents] if p.is_relative_to(folder) and p != folder
    )


def _notebooks(home: Path) -> list[Path]:
    """Every notebook below a student's folder, Jupyter's checkpoints aside."""
    return sorted(p for p in home.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _student_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _handed_in_path(home: Path, assignment_id: str) -> Path | None:
    """``<student>/<assignment>.ipynb`` or, in nbgrader's layout, ``<student>/<assignment>/<assignment>.ipynb``."""
    candidates = [home / f"{assignment_id}.ipynb", home / assignment_id / f"{assignment_id}.ipynb"]
    return next((p for p in candidates if p.is_file() or p.is_symlink()), None)


def handed_in(folder: Path, assignments: Iterable[str]) -> list[str]:
    """The assignments, in course order, that at least one student of ``folder`` handed in.

    Raises:
        GradingError: nobody handed in any of them; the message lists the notebooks found.
    """
    homes = _student_folders(folder)
    ids = [a for a in assignments if any(_handed_in_path(h, a) for h in homes)]
    if not ids:
        found = [p.relative_to(folder).as_posix() for h in homes for p in _notebooks(h)]
        raise GradingError(
            f"{folder} holds no notebook named after an assignment of the course "
            f"({', '.join(assignments)}), expected <student_id>/<assignment>.ipynb"
            + (f"; found {', '.join(found[:5])}{' ...' if len(found) > 5 else ''}" if found else "")
            + ". Rename the notebooks, or name the assignment with --assignment to grade them as missing"
        )
    return ids


def find_submissions(
    folder: Path, assignments: Iterable[str], problems: dict[str, str] | None = None
) -> list[Submission]:
    """Every (student, assignment) pair in ``folder``, missing ones included.

    A student's notebook is ``<student>/<assignment>.ipynb`` or, in nbgrader's layout,
    ``<student>/<assignment>/<assignment>.ipynb``. ``problems`` (from :func:`open_submissions`)
    makes every assignment of those students invalid, with the reason.
    """
    problems = problems or {}
    students = sorted({p.name for p in _student_folders(folder)} | set(problems))
    if not students:
        raise GradingError(
            f"{folder} holds no student folders (expected <student_id>/<assignment>.ipynb)"
        )
    found = []
    for student_id in students:
        home = folder / student_id
        for assignment_id in assignments:
            if student_id in problems:
                found.append(
                    Submission(student_id, assignment_id, None, invalid=problems[student_id])
                )
                continue
            path = _handed_in_path(home, assignment_id)
            note = invalid = ""
            if path is not None and not _inside(path, folder):
                invalid = f"{path.relative_to(folder)} is a symbolic link: hand in the notebook file itself"
                path = None
            elif path is None:
                others = [p.relative_to(home).as_posix() for p in _notebooks(home)]
                if others:
                    note = f"found {', '.join(others)} but not {assignment_id}.ipynb (notebooks must keep their released names)"
            found.append(Submission(student_id, assignment_id, path, note, invalid))
    return found


def in_shard(student_id: str, shard: tuple[int, int]) -> bool:
    """Whether a student belongs to shard K of N (1-based), by a hash that is the same everywhere."""
    k, n = shard
    return int(hashlib.sha256(student_id.encode()).hexdigest(), 16) % n == k - 1


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at ``path`` (a regular file, size-capped, nbformat 4, valid), or None and why
    it cannot be graded, in words for the student."""
    data = read_regular_file(path, MAX_SUBMISSION_BYTES)
    if data is None:
        if path.is_file() and path.stat().st_size > MAX_SUBMISSION_BYTES:
            return None, (
                f"the file is larger than {MAX_SUBMISSION_BYTES // 2**20} MiB: clear its outputs "
                "(Edit > Clear All Outputs) and hand it in again"
            )
        return None, "not a regular file"
    if not data:
        return None, "the file is empty"
    try:
        text = data.decode("utf-8", errors="strict")
        version = nbformat.reads(text, as_version=nbformat.NO_CONVERT).get("nbformat")
        if version != 4:
            return (
                None,
                f"nbformat {version} is not supported: open and save it in Jupyter 4 or later",
            )
        nb = nbformat.reads(text, as_version=4)
        nb = nbformat.validator.normalize(nb)[
            1
        ]  # old notebooks lack cell ids; nothing else changes
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many types for unreadable files
        return None, f"not a valid Jupyter notebook ({type(exc).__name__}: {str(exc)[:160]})"
    return nb, ""
