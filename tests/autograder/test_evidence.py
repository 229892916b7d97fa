"""Tests for autograder/evidence.py: only matching evidence from the student's run earns points."""

from __future__ import annotations

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output

from autograder.evidence import (
    EvidenceError,
    VerifyEvidence,
    cell_records,
    compare_records,
    is_test_cell,
)
from course_utils.checks import EVIDENCE_MIME, encode_value


def payload(name, value, *, kind="close", rtol=1e-6, atol=1e-8, **extra):
    return {
        "name": name,
        "kind": kind,
        "value": encode_value(value),
        "rtol": rtol,
        "atol": atol,
        **extra,
    }


def accuracy_payload(name, y_pred, y_true, min_accuracy):
    return {
        "name": name,
        "kind": "accuracy",
        "value": encode_value(np.asarray(y_pred)),
        "targets": encode_value(np.asarray(y_true)),
        "min_accuracy": min_accuracy,
    }


def test_matching_records_pass():
    """Identical values, and values within the reference's tolerance, pass."""
    ref = {"a": payload("a", np.array([1.0, 2.0])), "q": payload("q", "c")}
    got = {"a": payload("a", np.array([1.0, 2.0 + 1e-9])), "q": payload("q", "c")}
    assert compare_records(got, ref).passed


def test_wrong_missing_or_retyped_records_fail():
    """A wrong value, a missing check, a different type or kind each fail with a reason."""
    ref = {"a": payload("a", np.array([1.0, 2.0])), "q": payload("q", "c"), "t": payload("t", True)}
    cases = {
        "values differ": {
            "a": payload("a", np.array([1.0, 2.1])),
            "q": payload("q", "c"),
            "t": payload("t", True),
        },
        "did not run": {"q": payload("q", "c"), "t": payload("t", True)},
        "got 'C', which is not the answer": {
            "a": ref["a"],
            "q": payload("q", "C"),
            "t": payload("t", True),
        },
        "expected True, got": {"a": ref["a"], "q": ref["q"], "t": payload("t", 1)},
        "expected shape": {"a": payload("a", np.array([1.0])), "q": ref["q"], "t": ref["t"]},
        "wrong way": {"a": {**ref["a"], "kind": "accuracy"}, "q": ref["q"], "t": ref["t"]},
    }
    for reason, got in cases.items():
        verdict = compare_records(got, ref)
        assert not verdict.passed, reason
        assert reason in verdict.message(), (reason, verdict.message())
        assert "'c'" not in verdict.message(), "a quiz's answer must stay out of the feedback"


def test_student_tolerance_is_ignored():
    """Tolerances come from the reference record: a student record claiming a huge rtol changes nothing."""
    ref = {"a": payload("a", np.array([1.0]))}
    got = {"a": payload("a", np.array([1.5]), rtol=1e9, atol=1e9)}
    assert not compare_records(got, ref).passed


def test_nan_where_reference_has_numbers_fails():
    """NaN is never close to a number, whatever the tolerance."""
    ref = {"s": payload("s", np.array([1.0, 0.0]), rtol=1.0, atol=1.0)}
    assert not compare_records({"s": payload("s", np.array([np.nan, 0.0]))}, ref).passed


def test_nested_maps_compare_every_entry():
    """Gradient dicts pass only if every key matches."""
    ref = {"g": payload("g", {"W1": np.ones(2), "b1": np.zeros(2)})}
    assert compare_records({"g": payload("g", {"W1": np.ones(2), "b1": np.zeros(2)})}, ref).passed
    verdict = compare_records({"g": payload("g", {"W1": np.ones(2), "b1": np.ones(2)})}, ref)
    assert not verdict.passed and "['b1']" in verdict.message()
    assert not compare_records({"g": payload("g", {"W1": np.ones(2)})}, ref).passed


def test_accuracy_uses_reference_targets_and_pass_mark():
    """Tampered targets or a lowered pass mark in the student's record change nothing."""
    ref = {"m": accuracy_payload("m", [0, 1, 2, 3], [0, 1, 2, 3], 0.75)}
    assert compare_records(
        {"m": accuracy_payload("m", [0, 1, 2, 0], [9, 9, 9, 9], 0.0)}, ref
    ).passed
    verdict = compare_records({"m": accuracy_payload("m", [0, 1, 0, 0], [0, 1, 0, 0], 0.0)}, ref)
    assert not verdict.passed and "accuracy 0.500 is below 0.75" in verdict.message()


def test_error_records_fail():
    """A value the student's kernel could not serialise is a failure, not a crash."""
    ref = {"a": payload("a", 1.0)}
    got = {
        "a": {
            "name": "a",
            "kind": "close",
            "value": {"type": "error", "message": "cannot use a Foo"},
        }
    }
    verdict = compare_records(got, ref)
    assert not verdict.passed and "cannot use a Foo" in verdict.message()


def test_reference_without_checks_is_an_instructor_error():
    """A test cell without hidden checks cannot be graded on positive evidence."""
    with pytest.raises(EvidenceError):
        compare_records({}, {})


def _test_cell(grade_id, *payloads, error=False):
    cell = new_code_cell(
        "...",
        metadata={
            "nbgrader": {
                "grade": True,
                "solution": False,
                "grade_id": grade_id,
                "points": 1,
                "locked": True,
            }
        },
    )
    cell.outputs = [
        new_output("display_data", data={EVIDENCE_MIME: p, "text/plain": "x"}) for p in payloads
    ]
    if error:
        cell.outputs.append(
            new_output("error", ename="AssertionError", evalue="visible", traceback=[])
        )
    return cell


def test_cell_records_reports_duplicates():
    """Two records under one name in a cell are a problem (a student printing fake records)."""
    cell = _test_cell("t", payload("a", 1.0), payload("a", 1.0))
    records, problems = cell_records(cell)
    assert set(records) == {"a"} and problems == ["check 'a' was recorded more than once"]
    assert is_test_cell(cell)


def test_verify_evidence_appends_error_only_when_evidence_fails(tmp_path):
    """The nbgrader preprocessor zeroes failing cells through an error output and leaves passing ones alone."""
    import json

    import nbformat

    ref_dir = tmp_path / "ref"
    (ref_dir / "hw").mkdir(parents=True)
    (ref_dir / "hw" / "hw.json").write_text(
        json.dumps({"cells": {"ok": {"a": payload("a", 1.0)}, "bad": {"a": payload("a", 1.0)}}})
    )
    nb = nbformat.v4.new_notebook(
        cells=[_test_cell("ok", payload("a", 1.0)), _test_cell("bad", payload("a", 2.0))]
    )
    pre = VerifyEvidence(reference_directory=str(ref_dir))
    nb, _ = pre.preprocess(nb, {"nbgrader": {"assignment": "hw", "notebook": "hw"}})
    assert [o.output_type for o in nb.cells[0].outputs] == ["display_data"]
    assert nb.cells[1].outputs[-1].output_type == "error"
    assert nb.cells[1].outputs[-1].ename == "HiddenTestFailed"


def test_a_warning_in_a_test_cell_costs_no_points(tmp_path):
    """stderr in a passing test cell (a library's FutureWarning) becomes a note nbgrader does not score as 0."""
    import json

    import nbformat
    from nbgrader.utils import determine_grade

    ref_dir = tmp_path / "ref"
    (ref_dir / "hw").mkdir(parents=True)
    (ref_dir / "hw" / "hw.json").write_text(json.dumps({"cells": {"ok": {"a": payload("a", 1.0)}}}))
    cell = _test_cell("ok", payload("a", 1.0))
    cell.outputs.insert(
        0, nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: x\n")
    )
    cell.metadata.nbgrader["points"] = 2
    assert determine_grade(cell)[0] == 0  # what nbgrader alone would give
    nb, _ = VerifyEvidence(reference_directory=str(ref_dir)).preprocess(
        nbformat.v4.new_notebook(cells=[cell]), {"nbgrader": {"assignment": "hw", "notebook": "hw"}}
    )
    assert determine_grade(nb.cells[0])[0] == 2
    assert (
        "FutureWarning: x" in nb.cells[0].outputs[0].text
        and nb.cells[0].outputs[0].name == "stdout"
    )


def test_a_mismatch_says_the_largest_error_where_and_both_values():
    """Like check_close, a hidden check's mismatch names the count, the largest error, its index,
    the expected and the recorded value and the tolerance."""
    want = np.zeros((2, 3))
    got = want.copy()
    got[1, 2], got[0, 0] = 0.5, 0.1
    verdict = compare_records({"s": payload("s", got)}, {"s": payload("s", want)})
    assert verdict.message() == (
        "hidden check 's' does not match the reference solution: 2 of 6 values differ; the "
        "largest error is 0.5 at index (1, 2): expected 0, got 0.5 (tolerance 1e-08)"
    )
    one = compare_records({"x": payload("x", 2.5)}, {"x": payload("x", 3.0)}).message()
    assert one.endswith("expected 3, got 2.5 (tolerance 3e-06)")
    ints = compare_records({"i": payload("i", [1, 2, 4])}, {"i": payload("i", [1, 2, 3])})
    assert "1 of 3 integer values differ, the first at index (2,): expected 3, got 4" in (
        ints.message()
    )
    nan = compare_records({"n": payload("n", [np.nan, 1.0])}, {"n": payload("n", [0.5, 1.0])})
    assert "NaN" in nan.message() and "at index (0,) expected 0.5, got nan" in nan.message()
    wrong_type = compare_records({"a": payload("a", "c")}, {"a": payload("a", np.ones(2))})
    assert "expected an array of shape (2,), got 'c'" in wrong_type.message()


def test_float32_values_that_match_still_pass():
    """The words changed, not the verdicts: float32 within the reference's tolerance passes."""
    want = np.linspace(0.0, 1.0, 7)
    got = want.astype(np.float32)
    assert compare_records({"f": payload("f", got)}, {"f": payload("f", want, rtol=1e-6)}).passed
    ints = np.arange(4)
    assert compare_records(
        {"i": payload("i", ints.astype(float))}, {"i": payload("i", ints)}
    ).passed
