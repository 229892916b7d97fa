"""Evidence for hidden tests: the values a test cell records for the grader to compare.

``record`` and ``record_predictions`` compare nothing in the student's kernel: the value is
serialised into the cell's output and the grader compares it, in its own process, with the value
the reference solution recorded for the same check (``autograder/evidence.py`` reads them back).
Student code can patch anything in its kernel, but it never sees the expected value, so it cannot
fake a pass. A trained model's accuracy is sealed the same way: the hidden test reads the
grader's held-out images with ``held_out_images`` and records predictions; the labels never
enter any kernel.

The visible checks that give a student feedback are in :mod:`course_utils.checks`, which also
re-exports these names: notebooks import both from there.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "EVIDENCE_MIME",
    "decode_value",
    "encode_value",
    "held_out_images",
    "record",
    "record_predictions",
]

#: MIME type of the display outputs that carry grading evidence.
EVIDENCE_MIME = "application/vnd.nn-course.evidence+json"

# Evidence travels inside notebook JSON: keep it small enough that a test's outputs stay readable.
_MAX_RECORD_ELEMENTS = 200_000


def encode_value(value: Any) -> dict[str, Any]:
    """Serialises a result to JSON-safe data, keeping every bit of numeric arrays.

    Supported: None, bool, str, numbers, ndarrays, tensors, and lists, tuples and str-keyed dicts
    of those. Anything else (an object with a custom ``__eq__``, say) is refused: only plain data
    can be evidence.
    """
    if value is None:
        return {"type": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, str):
        return {"type": "str", "value": str.__str__(value)}
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("record: dict keys must be strings.")
        return {"type": "map", "items": {str.__str__(k): encode_value(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)) and not all(isinstance(v, (int, float)) for v in value):
        return {"type": "seq", "items": [encode_value(v) for v in value]}
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        tensor = value.detach().cpu()
        if str(tensor.dtype) in ("torch.float16", "torch.bfloat16"):  # NumPy has no bfloat16
            tensor = tensor.float()
        value = tensor.numpy()
    if isinstance(value, (int, float, np.generic, np.ndarray, list, tuple)):
        array = np.asarray(value).view(np.ndarray)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"record: cannot use an array of dtype {array.dtype} as evidence.")
        if array.size > _MAX_RECORD_ELEMENTS:
            raise ValueError(f"record: {array.size} elements is too many; record a smaller input.")
        is_float = array.dtype.kind == "f"
        data = np.ascontiguousarray(array, dtype=np.float64 if is_float else np.int64)
        return {
            "type": "array",
            "kind": "float" if is_float else "int",
            "shape": list(array.shape),
            "data": base64.b64encode(data.tobytes()).decode("ascii"),
        }
    raise TypeError(f"record: cannot use a {type(value).__name__} as evidence.")


def decode_value(encoded: Mapping[str, Any]) -> Any:
    """Inverse of :func:`encode_value` (arrays come back as float64 or int64 ndarrays)."""
    kind = encoded["type"]
    if kind == "none":
        return None
    if kind in ("bool", "str"):
        return encoded["value"]
    if kind == "map":
        return {k: decode_value(v) for k, v in encoded["items"].items()}
    if kind == "seq":
        return [decode_value(v) for v in encoded["items"]]
    if kind == "array":
        dtype = np.float64 if encoded["kind"] == "float" else np.int64
        flat = np.frombuffer(base64.b64decode(encoded["data"]), dtype=dtype)
        return flat.reshape(encoded["shape"])
    raise ValueError(f"unknown evidence type {kind!r}")


def _emit(payload: dict[str, Any]) -> None:
    from IPython.display import display  # imported here: course_utils must import without IPython

    display(
        {EVIDENCE_MIME: payload, "text/plain": f"[graded check recorded: {payload['name']}]"},
        raw=True,
    )


def record(name: str, value: Any, *, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Records ``value`` as the evidence for the hidden check ``name``.

    The grader passes the check only if the reference solution's run recorded a value under the
    same name in the same test cell and the two agree within the tolerances *of the reference
    record*. A value that cannot be serialised is recorded as an error, so the check fails
    without stopping the cell.
    """
    try:
        encoded = encode_value(value)
    except (TypeError, ValueError) as exc:
        encoded = {"type": "error", "message": str(exc)}
    _emit(
        {"name": name, "kind": "close", "value": encoded, "rtol": float(rtol), "atol": float(atol)}
    )


def held_out_images(name: str) -> np.ndarray:
    """The images of the held-out set ``name``, for a sealed accuracy check (hidden tests only).

    In a graded run the grader writes them to ``heldout/<name>.npy`` in the working folder, in
    an order of its own, and keeps their labels (see ``autograder/heldout.py``). Elsewhere (the
    solution run by hand or by nbval) there is no such file and the public images stand in:
    ``"mnist_test"``, the bundled MNIST test split, float32 (1000, 1, 28, 28); ``"roofs_test"``,
    1,000 synthetic roofs, uint8 (1000, 64, 64, 3); ``"reversal_test"``, 1,000 digit strings
    of notebook 06 as int64 tokens (1000, 12) (``course_utils.sequences``), whose labels are
    one code per target sequence.
    """
    path = Path("heldout") / f"{name}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    if name == "mnist_test":
        from course_utils.data import load_mnist

        return load_mnist()[1][0]
    if name == "roofs_test":
        from course_utils.roofs import generate_roofs

        return generate_roofs(1000, seed=7919, split="test")[0]
    if name == "reversal_test":
        from course_utils.sequences import reversal_task

        return reversal_task(1000, min_len=3, max_len=12, seed=7919)[0]
    raise KeyError(f"unknown held-out set {name!r}: 'mnist_test', 'roofs_test' or 'reversal_test'")


def record_predictions(name: str, y_pred: Any, *, held_out: str, min_accuracy: float) -> None:
    """Records a trained model's predicted labels for the grader's held-out set ``held_out``.

    The grader scores them against the set's labels, which no kernel ever sees, with the pass
    mark of the reference run's record.

    Args:
        name: the check's name, unique in its cell.
        y_pred: (N,) predicted class labels, in the order of ``held_out_images(held_out)``.
        held_out: the held-out set's name.
        min_accuracy: the pass mark in [0, 1].
    """
    if not (0.0 <= min_accuracy <= 1.0) or math.isnan(min_accuracy):
        raise ValueError("min_accuracy must lie in [0, 1].")
    # The visible checks' conversion, so a bad y_pred is recorded with the same message. Imported
    # here, not at the top: course_utils.checks imports this module to re-export its names.
    from course_utils.checks import _to_numpy

    try:
        encoded = encode_value(np.asarray(_to_numpy(y_pred, "y_pred")).astype(np.int64))
    except (AssertionError, TypeError, ValueError) as exc:
        encoded = {"type": "error", "message": str(exc)}
    _emit(
        {
            "name": name,
            "kind": "accuracy",
            "value": encoded,
            "held_out": str(held_out),
            "min_accuracy": float(min_accuracy),
        }
    )
