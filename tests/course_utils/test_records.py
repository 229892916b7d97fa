"""Tests for course_utils/records.py: faithful evidence records for the grader's hidden tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import checks, records
from course_utils.records import (
    EVIDENCE_MIME,
    decode_value,
    encode_value,
    record,
    record_predictions,
)


def test_checks_reexports_the_evidence_names():
    """Can notebooks and the grader still import every evidence name from course_utils.checks?"""
    for name in records.__all__:
        assert name in checks.__all__ and getattr(checks, name) is getattr(records, name), name


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "c",
        3,
        2.5,
        np.arange(6.0).reshape(2, 3),
        np.array([1, 2, 3]),
        {"W1": np.ones((2, 2)), "b1": np.zeros(2)},
        (np.ones(2), 0.5),
    ],
)
def test_encode_decode_round_trip(value):
    """Evidence keeps every bit of the values it carries."""
    decoded = decode_value(encode_value(value))
    if isinstance(value, dict):
        assert set(decoded) == set(value)
        for key in value:
            np.testing.assert_array_equal(decoded[key], value[key])
    elif isinstance(value, tuple):
        for got, want in zip(decoded, value, strict=True):
            np.testing.assert_array_equal(got, want)
    elif value is None or isinstance(value, (bool, str)):
        assert decoded == value and type(decoded) is type(value)
    else:
        np.testing.assert_array_equal(decoded, np.asarray(value))


def test_encode_refuses_objects_that_fake_equality():
    """An object whose == is always True cannot become evidence."""

    class AlwaysEqual:
        def __eq__(self, other):
            return True

    with pytest.raises(TypeError):
        encode_value(AlwaysEqual())
    with pytest.raises(TypeError):
        encode_value(np.array([AlwaysEqual()], dtype=object))


def test_encode_reads_tensor_data_not_subclass_behaviour():
    """Tensors (also requiring grad) and ndarray subclasses are recorded by their numbers."""

    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    t = torch.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(decode_value(encode_value(t * 2)), [2.0, 4.0])
    precise = torch.tensor([1 + 1e-12], dtype=torch.float64)  # float64 keeps every bit
    assert decode_value(encode_value(precise))[0] == 1 + 1e-12
    sneaky = np.array([1.0, 5.0]).view(Sneaky)
    np.testing.assert_array_equal(decode_value(encode_value(sneaky)), [1.0, 5.0])


def test_record_emits_one_display_with_the_evidence_mime(monkeypatch):
    """record() sends the value, tolerances and kind to the notebook output, nothing else."""
    emitted = []
    monkeypatch.setattr(records, "_emit", emitted.append)
    record("softmax/random", np.array([0.25, 0.75]), rtol=1e-4)
    record("bad", object())
    record_predictions("mnist", np.array([1, 2]), held_out="mnist_test", min_accuracy=0.9)
    first, bad, accuracy = emitted
    assert first["name"] == "softmax/random" and first["kind"] == "close" and first["rtol"] == 1e-4
    np.testing.assert_array_equal(decode_value(first["value"]), [0.25, 0.75])
    assert bad["value"]["type"] == "error"
    assert accuracy["kind"] == "accuracy" and accuracy["min_accuracy"] == 0.9
    assert accuracy["held_out"] == "mnist_test" and "targets" not in accuracy  # no labels here
    np.testing.assert_array_equal(decode_value(accuracy["value"]), [1, 2])
    with pytest.raises(ValueError):
        record_predictions("x", [1], held_out="mnist_test", min_accuracy=1.5)


def test_emit_uses_a_raw_display_with_text_fallback(monkeypatch):
    """Inside Jupyter the evidence is a display_data with our MIME type and a short text line."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append((data, raw)))
    record("quiz", "c")
    ((data, raw),) = shown
    assert raw is True and EVIDENCE_MIME in data and "quiz" in data["text/plain"]
