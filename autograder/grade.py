"""Grading a batch of submissions with nbgrader, under the course's evidence protocol.

The pipeline, one small step each:

1. :func:`find_submissions` reads the submissions folder (never writing to it).
2. :func:`prepare_course` lays out an nbgrader course under ``OUT/course`` from ``solutions/``,
   registers every assignment in ``OUT/gradebook.db`` and builds the reference evidence.
3. :func:`autograde_one` copies one submission in and runs nbgrader's autograde on it.
4. :func:`write_feedback` and :func:`export` turn the gradebook into HTML feedback and CSV files.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from autograder.course import REPO_ROOT, assignment_ids, ensure_scripts_on_path, source_notebook
from autograder.nbgrader_config import course_config
from autograder.reference import build_reference

__all__ = [
    "GRADE_FIELDS",
    "SCORE_FIELDS",
    "Course",
    "GradingError",
    "Outcome",
    "Submission",
    "autograde_one",
    "export",
    "find_submissions",
    "grade",
    "prepare_course",
    "write_feedback",
]

GRADE_FIELDS = ("student_id", "assignment_id", "score", "max_score", "status", "message")
SCORE_FIELDS = ("student_id", "assignment_id", "grade_id", "score", "max_score", "message")


class GradingError(RuntimeError):
    """An instructor-side problem: the message says what to fix."""


@dataclass(frozen=True)
class Submission:
    """One student's notebook for one assignment (``path`` None when nothing was handed in)."""

    student_id: str
    assignment_id: str
    path: Path | None


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


@dataclass(frozen=True)
class Course:
    """An nbgrader course laid out for one grading run."""

    root: Path
    db_path: Path
    reference_dir: Path

    def api(self, *, cell_timeout: int = 300) -> NbGraderAPI:
        ensure_scripts_on_path()
        config = course_config(
            reference_directory=str(self.reference_dir), cell_timeout=cell_timeout
        )
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.source_directory = "source"
        config.CourseDirectory.release_directory = "release"
        config.CourseDirectory.db_url = f"sqlite:///{self.db_path}"
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def find_submissions(folder: Path, assignments: Iterable[str]) -> list[Submission]:
    """Every (student, assignment) pair in ``folder``, missing ones included.

    Accepted layouts: ``<student>/<assignment>.ipynb`` (notebooks named as released) and
    nbgrader's ``submitted/<student>/<assignment>/<assignment>.ipynb``.
    """
    if not folder.is_dir():
        raise GradingError(f"submissions folder {folder} does not exist")
    base = folder / "submitted" if (folder / "submitted").is_dir() else folder
    students = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise GradingError(
            f"{folder} holds no student folders (expected <student_id>/<assignment>.ipynb)"
        )
    found = []
    for student_id in students:
        for assignment_id in assignments:
            candidates = [
                base / student_id / f"{assignment_id}.ipynb",
                base / student_id / assignment_id / f"{assignment_id}.ipynb",
            ]
            path = next((p for p in candidates if p.is_file()), None)
            found.append(Submission(student_id, assignment_id, path))
    return found


def prepare_course(
    out: Path, assignments: Iterable[str], root: Path = REPO_ROOT, reference_dir: Path | None = None
) -> Course:
    """Creates ``out/course`` and ``out/gradebook.db`` for the given assignments.

    Reference evidence goes to ``reference_dir`` (default ``out/reference``); files there are
    reused while their fingerprint is current.
    """
    course = Course(
        root=out / "course",
        db_path=out / "gradebook.db",
        reference_dir=reference_dir or out / "reference",
    )
    api = course.api()
    for assignment_id in assignments:
        source = source_notebook(assignment_id, root)
        target = course.root / "source" / assignment_id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source.parent, target)
        result = api.generate_assignment(assignment_id)
        if not result["success"]:
            raise GradingError(
                f"nbgrader could not register {assignment_id}:\n{result.get('error') or result.get('log')}"
            )
        build_reference(target / source.name, course.reference_dir)
    return course


def _check_notebook(path: Path) -> str | None:
    """Why a file is not a gradable notebook, or None."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types for unreadable files
        return f"not a valid Jupyter notebook ({type(exc).__name__}: {str(exc)[:200]})"
    return None


def autograde_one(course: Course, submission: Submission, *, cell_timeout: int = 300) -> Outcome:
    """Grades one submission into the course's gradebook and returns its outcome."""
    outcome = Outcome(submission.student_id, submission.assignment_id, status="missing")
    if submission.path is None:
        outcome.message = f"no {submission.assignment_id}.ipynb was handed in"
        return outcome
    problem = _check_notebook(submission.path)
    if problem:
        outcome.status, outcome.message = "invalid", problem
        return outcome
    dest = course.root / "submitted" / submission.student_id / submission.assignment_id
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(submission.path, dest / f"{submission.assignment_id}.ipynb")
    result = course.api(cell_timeout=cell_timeout).autograde(
        submission.assignment_id, submission.student_id
    )
    if not result["success"]:
        outcome.status, outcome.message = (
            "crashed",
            (result.get("error") or result.get("log") or "")[-500:],
        )
        return outcome
    outcome.status = "graded"
    return outcome


def _read_scores(course: Course, outcome: Outcome) -> None:
    """Fills an outcome's score and per-cell rows from the gradebook."""
    with Gradebook(f"sqlite:///{course.db_path}") as gb:
        assignment = gb.find_assignment(outcome.assignment_id)
        outcome.max_score = float(assignment.max_score)
        try:
            submission = gb.find_submission(outcome.assignment_id, outcome.student_id)
        except MissingEntry:
            return
        outcome.score = float(submission.score)
        pending = sum(
            float(g.max_score)
            for nb in submission.notebooks
            for g in nb.grades
            if g.needs_manual_grade
        )
        if pending:
            outcome.message = f"{pending:g} point(s) await manual grading"
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                outcome.cells.append(
                    {
                        "grade_id": grade.name,
                        "score": float(grade.score),
                        "max_score": float(grade.max_score),
                        "message": "",
                    }
                )


def write_feedback(course: Course, outcomes: Iterable[Outcome], out: Path) -> None:
    """nbgrader's HTML feedback for every graded submission, as ``out/feedback/<student>/<assignment>.html``."""
    api = course.api()
    for outcome in outcomes:
        if outcome.status != "graded":
            continue
        result = api.generate_feedback(outcome.assignment_id, outcome.student_id)
        html = (
            course.root
            / "feedback"
            / outcome.student_id
            / outcome.assignment_id
            / f"{outcome.assignment_id}.html"
        )
        if result["success"] and html.is_file():
            target = out / "feedback" / outcome.student_id / f"{outcome.assignment_id}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(html, target)


def export(outcomes: Iterable[Outcome], out: Path) -> None:
    """Writes ``grades.csv`` (one row per submission) and ``scores.csv`` (one row per test cell)."""
    outcomes = sorted(outcomes, key=lambda o: (o.student_id, o.assignment_id))
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, GRADE_FIELDS)
        writer.writeheader()
        for o in outcomes:
            writer.writerow(
                {
                    "student_id": o.student_id,
                    "assignment_id": o.assignment_id,
                    "score": o.score,
                    "max_score": o.max_score,
                    "status": o.status,
                    "message": o.message,
                }
            )
    with open(out / "scores.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, SCORE_FIELDS)
        writer.writeheader()
        for o in outcomes:
            for cell in o.cells:
                writer.writerow(
                    {"student_id": o.student_id, "assignment_id": o.assignment_id, **cell}
                )


def grade(
    submissions: Path,
    out: Path,
    *,
    assignments: list[str] | None = None,
    root: Path = REPO_ROOT,
    cell_timeout: int = 300,
    reference_dir: Path | None = None,
) -> list[Outcome]:
    """Grades every submission in ``submissions`` into ``out`` (see the module docstring)."""
    ids = assignments or assignment_ids(root)
    out = out.resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / ".write-test").touch()
        (out / ".write-test").unlink()
    except OSError as exc:
        raise GradingError(f"cannot write to the output folder {out}: {exc}") from exc
    found = find_submissions(submissions, ids)
    course = prepare_course(out, ids, root, reference_dir)
    outcomes = [autograde_one(course, s, cell_timeout=cell_timeout) for s in found]
    for outcome in outcomes:
        _read_scores(course, outcome)
    write_feedback(course, outcomes, out)
    export(outcomes, out)
    return outcomes
