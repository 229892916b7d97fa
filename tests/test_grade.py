"""Tests for autograder/grade.py: nbgrader grading under the evidence protocol, end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main
from autograder.demo import solved
from autograder.grade import GRADE_FIELDS, SCORE_FIELDS, grade

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def graded(tiny_course: Path, tmp_path_factory: pytest.TempPathFactory):
    """A simulated class of the tiny assignment, graded once."""
    subs = tmp_path_factory.mktemp("submissions")
    released = tiny_course / "notebooks" / "tiny" / "tiny.ipynb"
    wrong_softmax = (
        "def softmax(Z):\n    E = np.exp(Z)\n    return E / E.sum(axis=1, keepdims=True)"
    )
    cheat = (
        "import numpy\nnumpy.allclose = lambda *a, **k: True\n"
        "import course_utils.checks as ck\nck.check_close = lambda *a, **k: None\n"
        "from IPython import get_ipython\nget_ipython().showtraceback = lambda *a, **k: None\n"
        "def softmax(Z):\n    return np.ones_like(Z) / Z.shape[1]"
    )
    class_ = {
        "perfect": solved(tiny_course, "tiny"),
        "untouched": nbformat.read(released, as_version=4),
        "wrong": solved(tiny_course, "tiny", softmax=wrong_softmax),
        "cheat": solved(tiny_course, "tiny", softmax=cheat),
    }
    for student, nb in class_.items():
        (subs / student).mkdir()
        nbformat.write(nb, subs / student / "tiny.ipynb")
    (subs / "broken").mkdir()
    (subs / "broken" / "tiny.ipynb").write_text("{ not json")
    (subs / "absent").mkdir()
    before = sorted((p.relative_to(subs), p.stat().st_mtime_ns) for p in subs.rglob("*"))
    out = tmp_path_factory.mktemp("out")
    outcomes = {o.student_id: o for o in grade(subs, out, root=tiny_course)}
    after = sorted((p.relative_to(subs), p.stat().st_mtime_ns) for p in subs.rglob("*"))
    return outcomes, out, before == after


def _cell_scores(outcome):
    return {c["grade_id"]: c["score"] for c in outcome.cells}


def test_solution_scores_every_autograded_point(graded):
    """The reference solution earns all 6 autograded points; the written answer awaits a human."""
    outcomes, _, _ = graded
    perfect = outcomes["perfect"]
    assert perfect.status == "graded"
    assert _cell_scores(perfect) == {
        "test_square": 2.0,
        "test_softmax": 3.0,
        "test_quiz": 1.0,
        "explain": 0.0,
    }
    assert perfect.max_score == 8.0 and "2 point(s) await manual grading" in perfect.message


def test_untouched_release_scores_zero(graded):
    """The released notebook handed in as is earns nothing, with status graded."""
    outcomes, _, _ = graded
    assert outcomes["untouched"].status == "graded" and outcomes["untouched"].score == 0.0


def test_one_wrong_function_loses_exactly_its_points(graded):
    """softmax without max-subtraction loses test_softmax's 3 points and nothing else."""
    outcomes, _, _ = graded
    assert _cell_scores(outcomes["wrong"]) == {
        "test_square": 2.0,
        "test_softmax": 0.0,
        "test_quiz": 1.0,
        "explain": 0.0,
    }


def test_patching_the_checks_earns_nothing(graded):
    """Patched np.allclose, check helpers and traceback display do not rescue a wrong softmax."""
    outcomes, out, _ = graded
    assert _cell_scores(outcomes["cheat"])["test_softmax"] == 0.0
    nb = nbformat.read(
        out / "course" / "autograded" / "cheat" / "tiny" / "tiny.ipynb", as_version=4
    )
    (cell,) = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_softmax"
    ]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and "softmax/random" in errors[-1].evalue


def test_invalid_and_missing_submissions_are_reported(graded):
    """Unreadable JSON is invalid with a reason; a student without the notebook is missing."""
    outcomes, _, _ = graded
    assert (
        outcomes["broken"].status == "invalid"
        and "not a valid Jupyter notebook" in outcomes["broken"].message
    )
    assert outcomes["absent"].status == "missing"


def test_outputs_written_and_submissions_untouched(graded):
    """grades.csv, scores.csv and HTML feedback exist; the submissions folder is unchanged."""
    outcomes, out, unchanged = graded
    assert unchanged
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == GRADE_FIELDS and len(rows) == len(outcomes)
    with open(out / "scores.csv") as f:
        scores = list(csv.DictReader(f))
    assert tuple(scores[0]) == SCORE_FIELDS
    assert {(r["student_id"], r["grade_id"]) for r in scores} >= {
        ("wrong", "test_softmax"),
        ("perfect", "test_quiz"),
    }
    assert (out / "feedback" / "wrong" / "tiny.html").is_file()
    assert "HiddenTestFailed" in (out / "feedback" / "wrong" / "tiny.html").read_text()


def test_cli_reports_instructor_errors(tmp_path, capsys):
    """Unknown assignments and missing folders exit 2 with a message saying what to fix."""
    assert main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "subs" / "s1").mkdir(parents=True)
    assert (
        main(
            [
                "grade",
                str(tmp_path / "subs"),
                "--out",
                str(tmp_path / "out"),
                "--assignment",
                "nope",
            ]
        )
        == 2
    )
    assert "unknown assignment 'nope'" in capsys.readouterr().err
