"""What a grading run leaves for the instructor: HTML feedback per submission, ``grades.csv``
(one row per submission), ``scores.csv`` (one row per graded cell) and a short summary.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from autograder.preparation import Course
from autograder.submissions import GradingError, Outcome

__all__ = [
    "output_folder",
    "read_grades",
    "GRADE_FIELDS",
    "SCORE_FIELDS",
    "export",
    "summary",
    "write_feedback",
]


GRADE_FIELDS = ("student_id", "assignment_id", "score", "max_score", "status", "message")

SCORE_FIELDS = ("student_id", "assignment_id", "grade_id", "score", "max_score", "message")


def write_feedback(course: Course, outcomes: Iterable[Outcome], out: Path) -> None:
    """nbgrader's HTML feedback for every scored submission, as ``out/feedback/<student>/<assignment>.html``."""
    api = course.api()
    for outcome in outcomes:
        if outcome.status in ("invalid", "missing"):
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
        else:  # the grades stand; the instructor must still know a student gets no feedback
            reason = str(result.get("error") or result.get("log") or "").strip().splitlines()
            print(
                f"warning: no HTML feedback for {outcome.student_id} / {outcome.assignment_id}: "
                f"{reason[-1] if reason else 'nbgrader wrote no file'}",
                file=sys.stderr,
            )


def export(outcomes: Iterable[Outcome], out: Path) -> None:
    """Writes ``grades.csv`` (one row per submission) and ``scores.csv`` (one row per graded cell)."""
    outcomes = sorted(outcomes, key=lambda o: (o.student_id, o.assignment_id))
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, GRADE_FIELDS)
        writer.writeheader()
        for o in outcomes:
            writer.writerow({"student_id": o.student_id, "assignment_id": o.assignment_id, "score": o.score,
                             "max_score": o.max_score, "status": o.status, "message": o.message})  # fmt: skip
    with open(out / "scores.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, SCORE_FIELDS)
        writer.writeheader()
        for o in outcomes:
            for cell in o.cells:
                writer.writerow(
                    {"student_id": o.student_id, "assignment_id": o.assignment_id, **cell}
                )


def summary(outcomes: Iterable[Outcome]) -> str:
    """A short table: submissions per status and the mean score per assignment."""
    outcomes = list(outcomes)
    lines = [
        "status counts: "
        + ", ".join(f"{s} {n}" for s, n in sorted(Counter(o.status for o in outcomes).items()))
    ]
    for assignment_id in sorted({o.assignment_id for o in outcomes}):
        rows = [o for o in outcomes if o.assignment_id == assignment_id]
        mean = sum(o.score for o in rows) / len(rows)
        lines.append(
            f"{assignment_id}: {len(rows)} submission(s), mean {mean:.1f} / {rows[0].max_score:g}"
        )
    return "\n".join(lines)


def read_grades(shard: Path) -> list[Outcome]:
    path = shard / "grades.csv"
    if not path.is_file():
        raise GradingError(f"{shard} is not a grading output folder (no grades.csv)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    outcomes = []
    for r in rows:
        outcome = Outcome(
            r["student_id"],
            r["assignment_id"],
            r["status"],
            r["message"],
            float(r["score"]),
            float(r["max_score"]),
        )
        saved = shard / "work" / outcome.student_id / outcome.assignment_id / "outcome.json"
        if saved.is_file():  # a notebook that ran: take the run's own words, scores come again
            outcome.status, outcome.message = (
                json.loads(saved.read_text())[k] for k in ("status", "message")
            )
        outcomes.append(outcome)
    return outcomes


def output_folder(out: Path) -> Path:
    """``out``, resolved and created; a GradingError if nothing can be written there."""
    out = out.resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise GradingError(f"cannot write to the output folder {out}: {exc}") from exc
    return out
