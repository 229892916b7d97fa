"""Tests for course_utils/checks.py: the friendly visible checks a student sees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import checks
from course_utils.checks import (
    check_close,
    check_equal,
    check_no_warnings,
    check_shape,
    check_true,
    check_unchanged,
)


def test_check_close_passes_within_tolerance():
    """Does check_close accept arrays, tensors and numbers that agree within rtol/atol?"""
    check_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    check_close(torch.tensor([0.5, 0.25]), np.array([0.5, 0.25]))
    check_close(3.0, 3.0)


def test_check_close_reports_largest_error_and_where():
    """A mismatch names the count, the largest error, its index, both values and the hint."""
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[1, 2] = 0.5
    actual[0, 0] = 0.1
    with pytest.raises(AssertionError) as info:
        check_close(actual, expected, name="softmax(Z)", hint="subtract the row max")
    message = str(info.value)
    assert "softmax(Z): 2 of 6 value(s) differ" in message
    assert "largest error 0.5 at index (1, 2)" in message
    assert "expected 0, got 0.5" in message
    assert "Hint: subtract the row max" in message


def test_check_close_shape_and_none_messages():
    """Shape mismatches and a missing return value get their own actionable messages."""
    with pytest.raises(
        AssertionError, match=r"(?s)expected shape \(2, 8, 6, 6\), got \(2, 8, 8, 8\).*padding"
    ):
        check_close(
            np.zeros((2, 8, 8, 8)),
            np.zeros((2, 8, 6, 6)),
            name="conv2d",
            hint="did you forget the padding?",
        )
    with pytest.raises(AssertionError, match="forget to `return`"):
        check_close(None, [1.0], name="relu")
    with pytest.raises(AssertionError, match="got str"):
        check_close("0.5", [0.5])


def test_check_close_flags_nan_as_overflow():
    """NaN where a number is expected points at overflow."""
    with pytest.raises(AssertionError, match="NaN.*overflow"):
        check_close(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), name="sigmoid")


def test_check_shape_equal_true():
    """check_shape, check_equal and check_true fail with their messages and pass otherwise."""
    check_shape(torch.zeros(2, 3), (2, 3))
    with pytest.raises(AssertionError, match=r"expected shape \(3, 2\), got \(2, 3\)"):
        check_shape(np.zeros((2, 3)), (3, 2))
    check_equal("c", "c")
    check_equal((28, 28, 8), (28, 28, 8))
    check_equal(np.array([1, 2]), [1, 2])
    with pytest.raises(AssertionError, match="expected 'c', got 'C'"):
        check_equal("C", "c")
    with pytest.raises(AssertionError, match="expected 1, got True|expected True"):
        check_equal(1, True)
    with pytest.raises(AssertionError, match="rows must sum to 1"):
        check_true(np.bool_(False), "rows must sum to 1")


def test_check_unchanged_and_no_warnings():
    """In-place edits and overflow warnings are caught with advice."""
    x = np.arange(3.0)
    check_unchanged(x, x.copy())
    with pytest.raises(AssertionError, match="changed its argument `X` in place"):
        check_unchanged(x, x + 1, name="X")
    assert check_no_warnings(lambda z: z * 2, 3) == 6
    with pytest.raises(AssertionError, match="overflow"):
        check_no_warnings(lambda z: 1 / (1 + np.exp(-z)), np.array([-1000.0]), name="sigmoid")
    # A stable sigmoid underflows exp(-1000) to 0.0: that is not a warning worth failing on.
    assert check_no_warnings(lambda z: np.exp(-np.abs(z)), np.array([1000.0]))[0] == 0.0


def test_check_call_names_the_call_the_error_and_the_fix():
    def broken(x):
        return x @ np.ones((3, 2))

    assert checks.check_call(np.sum, np.ones(3), name="np.sum") == 3.0
    with pytest.raises(AssertionError) as info:
        checks.check_call(
            broken, np.ones((1, 4)), name="broken on a (1, 4) input", hint="W is (3, 2)"
        )
    message = str(info.value)
    assert message.startswith("broken on a (1, 4) input raised ValueError: matmul")
    assert message.endswith("Hint: W is (3, 2)")
    assert isinstance(info.value.__cause__, ValueError)  # the student's own frame stays below


@pytest.mark.parametrize(
    ("fn", "meaning"),
    [
        (lambda: np.exp(np.array([1000.0])), "grew past the largest float"),
        (lambda: np.log(np.array([0.0])), "the log of 0"),
        (lambda: np.array([0.0]) / np.array([0.0]), "made a NaN"),
    ],
)
def test_check_no_warnings_says_what_the_warning_means_and_the_hint(fn, meaning):
    with pytest.raises(AssertionError, match=meaning) as info:
        checks.check_no_warnings(fn, name="f", hint="subtract the maximum")
    assert str(info.value).endswith("Hint: subtract the maximum")


def _error_outputs(*sources: str) -> list[dict]:
    """Runs ``sources`` as the cells of a fresh notebook kernel; the error output of each cell."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120).execute()
    return [next((o for o in c.outputs if o.output_type == "error"), None) for c in nb.cells]


def test_a_failed_check_shows_the_students_lines_not_the_checks_source():
    """In a notebook, a failed check's traceback is the student's own lines and the message:
    no line of checks.py, and no PyTorch frame under a call that check_call wrapped."""
    import re

    errors = _error_outputs(
        "import torch\nfrom course_utils.checks import check_call, check_close",
        "def conv2d(x):\n    w = torch.zeros(1, 2, 3, 3)\n    return torch.nn.functional.conv2d(x, w)",
        "check_close([1.0, 2.0], [1.0, 3.0], name='relu(x)')",
        "y = check_call(conv2d, torch.zeros(1, 1, 5, 5), name='conv2d on a (1, 1, 5, 5) input')",
    )
    close, call = errors[2], errors[3]
    for error in (close, call):
        text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
        assert error.ename == "CheckFailed" and error.evalue in text
        assert "checks.py" not in text and "site-packages" not in text, text
        assert text.endswith(f"CheckFailed: {error.evalue}")
    close_text = "\n".join(close.traceback)
    assert "largest error 1 at index (1,): expected 3, got 2" in close.evalue
    assert "check_close([1.0, 2.0], [1.0, 3.0], name='relu(x)')" in close_text
    call_text = "\n".join(call.traceback)
    assert "y = check_call(conv2d" in call_text  # the test line ...
    assert "in conv2d" in call_text and "return torch.nn.functional.conv2d(x, w)" in call_text
    assert "conv2d on a (1, 1, 5, 5) input raised RuntimeError" in call.evalue  # ... and its line


def test_check_failed_is_an_assertion_error_whose_traceback_never_raises(monkeypatch):
    """except AssertionError still catches a failed check; a traceback that cannot be drawn
    falls back to the message alone."""
    with pytest.raises(AssertionError) as info:
        check_equal("C", "c", name="answer")
    assert isinstance(info.value, checks.CheckFailed)
    rendered = info.value._render_traceback_()
    assert rendered[-1] == "CheckFailed: answer: expected 'c', got 'C'."
    assert any("check_equal(" in entry for entry in rendered)  # this test's own line
    package = str(Path(checks.__file__).parent)
    assert not any(package in entry or "raise CheckFailed" in entry for entry in rendered)

    def broken(tb):
        raise RuntimeError("no frames today")

    monkeypatch.setattr(checks, "_student_frames", broken)
    assert info.value._render_traceback_() == ["CheckFailed: answer: expected 'c', got 'C'."]
