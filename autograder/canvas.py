"""``python -m autograder export OUT --format canvas --roster ROSTER.csv``: grades for Canvas.

Canvas imports grades from a CSV file shaped like its own gradebook export: the columns
``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment, with an
optional second row ``Points Possible``. The roster is that export (Grades > Export), so every
row names a student the way Canvas knows them; ``id_column`` says which of its columns holds the
course's student ids (the folder names of the submissions).

A roster student with no submission for an assignment gets an empty cell (Canvas leaves the
grade as it is); one whose hand-in could not be graded ("invalid") gets its score, 0. A graded
student that the roster lacks is reported, never dropped silently: their grades stay in
``grades.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.submissions import GradingError

__all__ = ["CANVAS_COLUMNS", "canvas_csv"]

#: The student columns of Canvas's gradebook export and import, in its order.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
_POINTS_POSSIBLE = "Points Possible"


def _read_csv(path: Path, what: str) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # Excel writes a BOM
            return list(csv.DictReader(f))
    except FileNotFoundError:
        raise GradingError(f"{what} {path} does not exist") from None


def canvas_csv(
    out: Path, roster: Path, dest: Path | None = None, *, id_column: str = "SIS Login ID"
) -> tuple[Path, list[str]]:
    """Writes ``out``'s grades as a Canvas import file; returns its path and the students the
    roster lacks.

    Args:
        out: a grading output folder (its ``grades.csv``).
        roster: Canvas's gradebook export for the course (at least ``Student`` and ``id_column``).
        dest: where to write (default ``out/canvas.csv``).
        id_column: the roster column holding the course's student ids.

    Raises:
        GradingError: a missing file, or a roster without ``id_column``; the message names the
            columns it has.
    """
    grades = _read_csv(out / "grades.csv", "the grading output")
    rows = [
        r
        for r in _read_csv(roster, "the roster")
        if r.get("Student", "").strip() != _POINTS_POSSIBLE
    ]
    columns = list(rows[0]) if rows else []
    if id_column not in columns:
        raise GradingError(
            f"the roster {roster} has no column {id_column!r} (it has {', '.join(columns) or 'none'}): "
            "export it from Canvas (Grades > Export) or name the column of student ids with --id-column"
        )
    assignments = sorted({g["assignment_id"] for g in grades})
    scores: dict[tuple[str, str], str] = {}
    possible: dict[str, str] = {}
    for g in grades:
        possible[g["assignment_id"]] = f"{float(g['max_score']):g}"
        if g["status"] != "missing":
            scores[g["student_id"], g["assignment_id"]] = f"{float(g['score']):g}"
    on_roster = {r[id_column].strip() for r in rows}
    unknown = sorted({g["student_id"] for g in grades if g["status"] != "missing"} - on_roster)

    dest = dest or out / "canvas.csv"
    with open(dest, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*CANVAS_COLUMNS, *assignments])
        writer.writerow([_POINTS_POSSIBLE, *[""] * (len(CANVAS_COLUMNS) - 1),
                         *(possible[a] for a in assignments)])  # fmt: skip
        for r in rows:
            student = r[id_column].strip()
            writer.writerow([*(r.get(c, "") for c in CANVAS_COLUMNS),
                             *(scores.get((student, a), "") for a in assignments)])  # fmt: skip
    return dest, unknown
