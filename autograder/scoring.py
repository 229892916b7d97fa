"""Scoring an executed notebook: nbgrader's autograde checks its evidence against the reference
and records the scores in the gradebook, one submission at a time (the gradebook has one writer).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder.evidence import first_error
from autograder.evidence import grade_id as cell_id
from autograder.execution import crashed
from autograder.export import write_feedback
from autograder.feedback import awaits_grading
from autograder.preparation import Course
from autograder.sandbox import (
    read_regular_file,
)
from autograder.submissions import Outcome, Submission

__all__ = [
    "score_and_report",
    "max_scores",
    "score_one",
]


# What ``nbgrader submit`` writes beside the notebook, kept with the scores: the submission
# time (for late penalties) and the secret that ``nbgrader release_feedback`` names the feedback
# file after, so that only the student who submitted finds it with ``nbgrader fetch_feedback``.
_NBGRADER_SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def score_one(
    course: Course, outcome: Outcome, executed: Path, handed_in: Path | None = None
) -> None:
    """Lets nbgrader check the evidence of an executed notebook and record its scores.

    ``handed_in`` is the folder the student's notebook came from; what ``nbgrader submit``
    wrote there (``timestamp.txt``, ``submission_secret.txt``) goes into the course with it, so
    that the feedback can go back through nbgrader's exchange (``nbgrader release_feedback``).
    """
    kept = {
        name: data
        for name in (_NBGRADER_SUBMISSION_FILES if handed_in is not None else ())
        if (data := read_regular_file(handed_in / name, 1024))
    }  # read first: merge may hand in the very folder that is replaced here
    dest = course.root / "submitted" / outcome.student_id / outcome.assignment_id
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(executed, dest / f"{outcome.assignment_id}.ipynb")
    for name, data in kept.items():
        (dest / name).write_bytes(data)
    result = course.api().autograde(outcome.assignment_id, outcome.student_id)
    if not result["success"]:
        outcome.status = "crashed"
        outcome.message = (
            "nbgrader could not score it: "
            + (result.get("error") or result.get("log") or "")[-300:]
        )
    _read_scores(course, outcome)


def _cell_messages(notebook: Path) -> dict[str, str]:
    """The first error of each graded cell in an autograded notebook, by grade_id."""
    if not notebook.is_file():
        return {}
    messages = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        grade_id, error = cell_id(cell), first_error(cell)
        if grade_id and error:
            # long enough for a check's message and its hint, short enough for a spreadsheet cell
            messages[grade_id] = f"{error[0]}: {error[1][:600]}"
    return messages


def _read_scores(course: Course, outcome: Outcome) -> None:
    """Fills an outcome's score, per-cell rows and message from the gradebook."""
    autograded = course.root / "autograded" / outcome.student_id / outcome.assignment_id
    pending, lost = 0.0, []
    with Gradebook(f"sqlite:///{course.db_path}") as gb:
        outcome.max_score = float(gb.find_assignment(outcome.assignment_id).max_score)
        try:
            submission = gb.find_submission(outcome.assignment_id, outcome.student_id)
        except MissingEntry:
            return
        outcome.score = float(submission.score)
        outcome.cells = []
        for notebook in submission.notebooks:
            messages = _cell_messages(autograded / f"{notebook.name}.ipynb")
            for g in notebook.grades:
                score, max_score = float(g.score), float(g.max_score)
                awaiting = awaits_grading(g)  # the same rule as the HTML feedback's
                if awaiting:
                    pending += max_score
                elif score < max_score:
                    lost.append(g.name)
                row = {
                    "grade_id": g.name,
                    "score": score,
                    "max_score": max_score,
                    "message": "awaiting manual grading" if awaiting else messages.get(g.name, ""),
                }
                outcome.cells.append(row)
    notes = [outcome.message, "lost points in " + ", ".join(lost) if lost else ""]
    notes.append(f"{pending:g} point(s) await manual grading" if pending else "")
    outcome.message = "; ".join(n for n in notes if n)


def max_scores(course: Course, outcomes: Iterable[Outcome]) -> None:
    with Gradebook(f"sqlite:///{course.db_path}") as gb:
        for outcome in outcomes:
            outcome.max_score = float(gb.find_assignment(outcome.assignment_id).max_score)


def score_and_report(
    course: Course, submission: Submission, outcome: Outcome, work_root: Path, out: Path
) -> Outcome:
    """Scores a submission that ran and writes its feedback, while others still run.

    Scoring writes the gradebook, so it happens one submission at a time.
    """
    executed = work_root / outcome.student_id / outcome.assignment_id / "executed.ipynb"
    if outcome.status in ("graded", "timeout", "crashed") and executed.is_file():
        path = submission.path
        try:
            score_one(course, outcome, executed, path.parent if path else None)
            write_feedback(course, [outcome], out)
        except Exception as exc:  # one submission never aborts the batch
            return crashed(submission, "scoring it", exc)
    return outcome
