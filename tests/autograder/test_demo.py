"""Does `python -m autograder demo` run the whole instructor workflow with the expected outcomes?"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.sandbox import isolation_problem

pytestmark = pytest.mark.grading


def test_demo_grades_the_simulated_class(tmp_path: Path, capsys):
    """Perfect, empty, partly wrong, hanging, crashing, tampered and cheating students get what they deserve."""
    sandbox = [] if isolation_problem() is None else ["--no-sandbox"]
    assert main(["demo", "--dest", str(tmp_path), *sandbox]) == 0
    printed = capsys.readouterr().out
    assert "status counts:" in printed
    assert ("sandbox: bubblewrap" if not sandbox else "WITHOUT the bubblewrap sandbox") in printed
    with open(tmp_path / "graded" / "grades.csv") as f:
        grades = {r["student_id"]: (float(r["score"]), r["status"]) for r in csv.DictReader(f)}
    assert grades == {
        "s01_perfect": (6.0, "graded"),
        "s02_empty": (0.0, "graded"),
        "s03_partly_wrong": (3.0, "graded"),
        "s04_hanging": (4.0, "timeout"),
        "s05_crashing": (5.0, "crashed"),
        "s06_tampered": (6.0, "graded"),
        "s07_cheating": (3.0, "graded"),
    }
