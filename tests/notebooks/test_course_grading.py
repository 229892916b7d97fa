"""Each real assignment, end to end through the grader: untouched scores 0, the solution scores
every autograded point, and one wrong graded function loses exactly its test's points."""

from __future__ import annotations

import importlib
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO_ROOT, assignment_ids, source_notebook
from autograder.demo import solved
from autograder.evidence import grade_id, is_sealed_cell, is_test_cell
from autograder.grade import grade
from autograder.sandbox import isolation_problem

pytestmark = pytest.mark.grading

ASSIGNMENTS = assignment_ids()
# The mistake module of each assignment; its first mistake is the "one wrong function" student.
MISTAKE_MODULES = {"01_mlp_backprop": "tests.notebooks.mistakes.nb01_mlp_backprop"}

# The forger trains nothing (or one epoch), silences the visible accuracy checks and rebinds
# record_predictions to send the labels it has: the visible test split's, in its own order.
# The defence is the grader's, the same for every assignment; two forgers (images in 01,
# sequences in 06) show it end to end, and test_every_accuracy_cell_is_sealed that each
# assignment's accuracy cells go through it.
_FORGE = """
import course_utils.checks as _checks


def check_true(*args, **kwargs):
    pass


def record_predictions(name, y_pred, *, held_out, min_accuracy):
    _checks.record_predictions(name, {labels}, held_out=held_out, min_accuracy=0.0)
"""
# answer cell -> (text of the solution's answer, what the forger writes instead), per assignment
FORGERS = {
    "01_mlp_backprop": {
        "train_mlp_numpy": ("for _ in range(num_epochs):", "for _ in range(0):  # trains nothing"),
        "TorchMLP": ("", _FORGE.format(labels="y_test[: len(y_pred)]")),
    },
    "06_sequence_models": {
        "train_seq2seq": ("num_epochs, lr = 8,", "num_epochs, lr = 1,"),
        "build_seq2seq": ("", _FORGE.format(labels="sequence_codes(test_tgt_long)[: len(y_pred)]")),
    },
}


def _forger(assignment_id: str) -> nbformat.NotebookNode:
    nb = solved(REPO_ROOT, assignment_id)
    for cell in nb.cells:
        edit = FORGERS[assignment_id].get(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if edit:
            old, new = edit
            assert old in cell.source, (assignment_id, old)
            cell.source = cell.source.replace(old, new) if old else cell.source + "\n" + new
    return nb


@pytest.fixture(scope="module")
def class_results(tmp_path_factory: pytest.TempPathFactory, reference_cache: Path) -> dict:
    """Grades a simulated class for every assignment in one run of the grader."""
    subs = tmp_path_factory.mktemp("submissions")
    wrong_cells: dict[str, str] = {}
    for assignment_id in ASSIGNMENTS:
        released = REPO_ROOT / "notebooks" / assignment_id / f"{assignment_id}.ipynb"
        students = {
            "untouched": nbformat.read(released, as_version=4),
            "solution": solved(REPO_ROOT, assignment_id),
        }
        module_name = MISTAKE_MODULES.get(assignment_id)
        if module_name:
            mistake = importlib.import_module(module_name).MISTAKES[0]
            students["one_wrong"] = solved(
                REPO_ROOT, assignment_id, **{mistake.answer_cell: mistake.source}
            )
            wrong_cells[assignment_id] = mistake.test_cell
        if assignment_id in FORGERS:
            students["forger"] = _forger(assignment_id)
        for student, nb in students.items():
            (subs / student).mkdir(exist_ok=True)
            nbformat.write(nb, subs / student / f"{assignment_id}.ipynb")
    out = tmp_path_factory.mktemp("out")
    outcomes = grade(subs, out, reference_dir=reference_cache, sandbox=isolation_problem() is None)
    return {
        "outcomes": {(o.student_id, o.assignment_id): o for o in outcomes},
        "wrong_cells": wrong_cells,
    }


def _autograded(outcome) -> dict[str, float]:
    return {c["grade_id"]: c["score"] for c in outcome.cells}


@pytest.mark.skipif(not ASSIGNMENTS, reason="the course has no assignments yet")
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_untouched_scores_zero(class_results, assignment_id):
    """The released notebook handed in untouched earns 0 points, status graded."""
    outcome = class_results["outcomes"][("untouched", assignment_id)]
    assert outcome.status == "graded" and outcome.score == 0.0, outcome


@pytest.mark.skipif(not ASSIGNMENTS, reason="the course has no assignments yet")
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_solution_scores_full_marks(class_results, assignment_id):
    """The reference solution earns every point that is not graded by hand."""
    outcome = class_results["outcomes"][("solution", assignment_id)]
    assert outcome.status == "graded", outcome
    manual = _manual_points(assignment_id)
    assert outcome.score == pytest.approx(outcome.max_score - manual), _autograded(outcome)


@pytest.mark.skipif(not MISTAKE_MODULES, reason="no mistakes recorded yet")
@pytest.mark.parametrize("assignment_id", [a for a in ASSIGNMENTS if a in MISTAKE_MODULES])
def test_one_wrong_function_loses_exactly_its_points(class_results, assignment_id):
    """Only the wrong function's test cell drops to 0; every other cell scores as the solution's."""
    wrong = _autograded(class_results["outcomes"][("one_wrong", assignment_id)])
    right = _autograded(class_results["outcomes"][("solution", assignment_id)])
    cell = class_results["wrong_cells"][assignment_id]
    assert wrong[cell] == 0.0 < right[cell]
    assert {k: v for k, v in wrong.items() if k != cell} == {
        k: v for k, v in right.items() if k != cell
    }


def _manual_points(assignment_id: str) -> float:
    nb = nbformat.read(
        REPO_ROOT / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4
    )
    return sum(
        float(c.metadata["nbgrader"]["points"])
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")
    )


def test_reference_cache_is_ignored_by_git():
    """Reference evidence holds hidden-test values: it must never be committed."""
    assert ".autograder/" in Path(REPO_ROOT / ".gitignore").read_text().split()


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_accuracy_cell_is_sealed(assignment_id):
    """Each assignment scores its trained models through record_predictions on a held-out set,
    the path the forgers below cannot fool; a visible accuracy check alone could be silenced."""
    nb = nbformat.read(source_notebook(assignment_id), as_version=4)
    accuracy = [c for c in nb.cells if is_test_cell(c) and "accuracy" in grade_id(c)]
    unsealed = [grade_id(c) for c in accuracy if not is_sealed_cell(c)]
    assert accuracy and not unsealed, f"{assignment_id}: {unsealed or 'no accuracy cell'}"


@pytest.mark.parametrize("assignment_id", sorted(FORGERS))
def test_forged_labels_earn_nothing(class_results, assignment_id):
    """Rebinding record_predictions to send known labels earns no accuracy point: the grader's
    held-out set comes in an order of its own and its labels never enter the kernel."""
    forged = _autograded(class_results["outcomes"][("forger", assignment_id)])
    right = _autograded(class_results["outcomes"][("solution", assignment_id)])
    accuracy_cells = [g for g in right if "accuracy" in g]
    assert accuracy_cells and all(right[g] > 0 for g in accuracy_cells)
    assert all(forged[g] == 0.0 for g in accuracy_cells), forged
