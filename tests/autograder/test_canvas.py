"""Tests for autograder/canvas.py: a grading run's grades as Canvas's grade-import CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.canvas import CANVAS_COLUMNS, canvas_csv
from autograder.cli import main
from autograder.export import export
from autograder.submissions import GradingError, Outcome

# Canvas's gradebook export, as Excel saves it: a byte-order mark and a "Points Possible" row.
_ROSTER = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Old quiz (5)\n"
    "    Points Possible,,,,,10\n"
    '"Lovelace, Ada",101,U1,ada,Mon,7\n'
    '"Turing, Alan",102,U2,alan,Tue,9\n'
    '"Hopper, Grace",103,U3,grace,Mon,8\n'
)


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    """An output folder: ada graded in both, alan missing 02 and invalid in 01, zoe off the roster."""
    export(
        [
            Outcome("ada", "01_mlp_backprop", "graded", score=38.0, max_score=38.0),
            Outcome("ada", "02_cnn_layers", "timeout", score=20.5, max_score=35.0),
            Outcome("alan", "01_mlp_backprop", "invalid", "not a notebook", max_score=38.0),
            Outcome("alan", "02_cnn_layers", "missing", max_score=35.0),
            Outcome("zoe", "01_mlp_backprop", "graded", score=30.0, max_score=38.0),
            Outcome("zoe", "02_cnn_layers", "graded", score=35.0, max_score=35.0),
        ],
        tmp_path,
    )
    (tmp_path / "roster.csv").write_text(_ROSTER, encoding="utf-8")
    return tmp_path


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_grades_land_in_canvas_columns_with_points_possible(graded: Path):
    dest, unknown = canvas_csv(graded, graded / "roster.csv")
    rows = _rows(dest)
    assert rows[0] == [*CANVAS_COLUMNS, "01_mlp_backprop", "02_cnn_layers"]
    assert rows[1] == ["Points Possible", "", "", "", "", "38", "35"]
    assert rows[2:] == [
        ["Lovelace, Ada", "101", "U1", "ada", "Mon", "38", "20.5"],
        ["Turing, Alan", "102", "U2", "alan", "Tue", "0", ""],  # invalid scores 0; missing is empty
        ["Hopper, Grace", "103", "U3", "grace", "Mon", "", ""],  # on the roster, nothing handed in
    ]
    assert unknown == ["zoe"]  # graded but not on the roster: reported, not silently dropped


def test_cli_reports_students_off_the_roster_and_roster_mistakes(graded: Path, capsys):
    assert (
        main(["export", str(graded), "--format", "canvas", "--roster", str(graded / "roster.csv")])
        == 0
    )
    captured = capsys.readouterr()
    assert f"Canvas grades: {graded / 'canvas.csv'}" in captured.out
    assert (
        "1 student(s) of grades.csv are not in the roster" in captured.err and "zoe" in captured.err
    )
    by_id = ["--id-column", "ID", "--dest", str(graded / "by-id.csv")]
    roster = ["--roster", str(graded / "roster.csv")]
    assert main(["export", str(graded), "--format", "canvas", *roster, *by_id]) == 0
    assert (
        "3 student(s) of grades.csv are not in the roster" in capsys.readouterr().err
    )  # ids are names
    with pytest.raises(GradingError, match=r"has no column 'Login' \(it has Student, ID"):
        canvas_csv(graded, graded / "roster.csv", id_column="Login")
    assert (
        main(["export", str(graded), "--format", "canvas", "--roster", str(graded / "none.csv")])
        == 2
    )
    assert "the roster" in capsys.readouterr().err
