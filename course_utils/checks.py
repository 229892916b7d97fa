"""Checks used by the notebooks' test cells.

Two kinds of call live here, and the grading protocol (``autograder/README.md``) depends on
keeping them apart:

* ``check_*`` functions give **visible feedback**. They raise :class:`CheckFailed` (an
  ``AssertionError``) with a message a student can act on: what was expected, what came out, the
  largest error and where, a hint; in a notebook its traceback shows the student's lines, not
  this module's. They earn no points by themselves.
* ``record`` and ``record_predictions`` emit **evidence** for hidden tests; they live in
  :mod:`course_utils.records`, and this module re-exports them. They compare nothing in the
  student's kernel: the value is serialised into the cell's output and the grader compares it,
  in its own process, with the value the reference solution recorded for the same check.
  Student code can patch anything in its kernel, but it never sees the expected value, so it
  cannot fake a pass. A trained model's accuracy is sealed the same way: the hidden test reads
  the grader's held-out images with ``held_out_images`` and records predictions; the labels
  never enter any kernel.

Example test cell: visible checks first, then the hidden part, which nbgrader removes from the
student's copy (``autograder/README.md`` shows the exact markers)::

    check_close(softmax(np.array([[1.0, 2.0]])), [[0.26894142, 0.73105858]], name="softmax")
    passed("softmax")
    # hidden part
    rng = np.random.default_rng(0)
    record("softmax/random", softmax(rng.normal(size=(5, 7))))
"""

from __future__ import annotations

import linecache
import os
import sysconfig
import warnings
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import numpy as np

# The evidence side lives in its own module; notebooks and the grader import it from here too.
from course_utils.records import (
    EVIDENCE_MIME,
    decode_value,
    encode_value,
    held_out_images,
    record,
    record_predictions,
)

__all__ = [
    "EVIDENCE_MIME",
    "CheckFailed",
    "check_call",
    "check_close",
    "check_equal",
    "check_no_warnings",
    "check_shape",
    "check_true",
    "check_unchanged",
    "decode_value",
    "encode_value",
    "held_out_images",
    "passed",
    "record",
    "record_predictions",
]

# Frames in these folders are the machinery under a failed check, not the student's code.
_LIBRARY_DIRS = tuple(
    sorted(
        {os.path.realpath(os.path.dirname(__file__))}
        | {os.path.realpath(p) for k in ("stdlib", "platstdlib") if (p := sysconfig.get_path(k))}
    )
)


def _is_library_file(filename: str) -> bool:
    """Is ``filename`` part of Python, an installed package or course_utils (not a student's cell)?"""
    if filename.startswith("<"):  # <ipython-input-3-...>, <string>: code typed in; <frozen ...>
        return filename.startswith("<frozen")
    path = os.path.realpath(filename)
    parts = path.split(os.sep)
    return (
        "site-packages" in parts
        or "dist-packages" in parts
        or any(path == d or path.startswith(d + os.sep) for d in _LIBRARY_DIRS)
    )


def _frame_label(filename: str, lineno: int, function: str) -> str:
    """``Cell In[3], line 5, in conv2d`` for a notebook cell, ``File x.py, line 5`` otherwise."""
    label = None
    try:
        from IPython import get_ipython  # only inside IPython does a cell have a name

        shell = get_ipython()
        if shell is not None:
            label = shell.compile.format_code_name(filename)  # ("Cell", "In[3]") or None
    except Exception:  # an older IPython, or none: the file name will do
        label = None
    where = f"{label[0]} {label[1]}" if label else f"File {filename}"
    return f"{where}, line {lineno}" + (f", in {function}" if function != "<module>" else "")


def _student_frames(tb: TracebackType | None) -> list[str]:
    """The frames of ``tb`` in the student's own code, as IPython shows them (label, then line)."""
    entries = []
    while tb is not None:
        code, lineno = tb.tb_frame.f_code, tb.tb_lineno
        if not _is_library_file(code.co_filename):
            line = linecache.getline(code.co_filename, lineno).strip()
            entries.append(
                f"{_frame_label(code.co_filename, lineno, code.co_name)}\n----> {lineno} {line}\n"
            )
        tb = tb.tb_next
    return entries


class CheckFailed(AssertionError):
    """A visible check failed; the message says what was expected, what came out, and a hint.

    It is an ``AssertionError``, so ``except AssertionError`` still catches it. In IPython (a
    notebook), its traceback shows only the student's own lines and the message: the checks'
    source, and PyTorch's frames under a call that :func:`check_call` wrapped, say nothing a
    student can act on.
    """

    def _render_traceback_(self) -> list[str]:
        """IPython's hook: the traceback as a list of strings (the frames, then the message)."""
        try:
            frames = _student_frames(self.__traceback__)
            cause = self.__cause__
            if cause is not None:  # check_call: the line of the student's code that raised
                frames += _student_frames(cause.__traceback__)
            header = f"{type(self).__name__:<42}Traceback (most recent call last)"
            return [header, *frames, f"{type(self).__name__}: {self}"]
        except Exception:  # a traceback that cannot be drawn must not hide the message
            return [f"{type(self).__name__}: {self}"]


def _to_numpy(value: Any, name: str) -> np.ndarray:
    """Converts arrays, tensors, numbers and nested lists of numbers to an ndarray, or explains why not."""
    if value is None:
        raise CheckFailed(f"{name}: got None. Did your function forget to `return` its result?")
    if hasattr(value, "detach") and hasattr(
        value, "cpu"
    ):  # a torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    if isinstance(value, (np.ndarray, np.generic, int, float, list, tuple)):
        try:
            array = np.asarray(value).view(np.ndarray)
        except ValueError:  # ragged nested lists
            array = np.empty(0, dtype=object)
        if array.dtype.kind in "biuf":
            return array
    raise CheckFailed(
        f"{name}: expected a NumPy array, a tensor or a number, got {type(value).__name__}."
    )


def _hint(hint: str | None) -> str:
    return f"\nHint: {hint}" if hint else ""


def check_shape(
    actual: Any, expected_shape: Sequence[int], *, name: str = "output", hint: str | None = None
) -> None:
    """Asserts that ``actual`` (array or tensor) has ``expected_shape``."""
    shape = tuple(_to_numpy(actual, name).shape)
    if shape != tuple(expected_shape):
        raise CheckFailed(
            f"{name}: expected shape {tuple(expected_shape)}, got {shape}.{_hint(hint)}"
        )


def check_close(
    actual: Any,
    expected: Any,
    *,
    name: str = "output",
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str | None = None,
) -> None:
    """Asserts that ``actual`` matches ``expected`` elementwise within ``atol + rtol * |expected|``.

    Args:
        actual: the student's result: ndarray, tensor or number.
        expected: the correct result, same shape.
        name: what is being checked, as the student knows it (e.g. ``"softmax(Z)"``).
        rtol, atol: tolerances, as in ``np.allclose``.
        hint: the likely cause of a mismatch, shown only when the check fails.
    """
    a = _to_numpy(actual, name)
    e = np.asarray(_to_numpy(expected, f"expected value of {name}"), dtype=np.float64)
    if a.shape != e.shape:
        raise CheckFailed(f"{name}: expected shape {e.shape}, got {a.shape}.{_hint(hint)}")
    a = a.astype(np.float64)
    bad_nan = np.isnan(a) & ~np.isnan(e)
    if bad_nan.any():
        where = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        raise CheckFailed(
            f"{name}: {int(bad_nan.sum())} value(s) are NaN, first at index {where}. NaN usually "
            f"means an overflow (exp of a large number) or 0/0.{_hint(hint)}"
        )
    with np.errstate(invalid="ignore"):
        err = np.abs(a - e)
        err = np.where(np.isnan(a) & np.isnan(e), 0.0, err)
        err = np.where(np.isinf(e) & (a == e), 0.0, err)
        tol = atol + rtol * np.abs(e)
        wrong = ~(err <= tol)
    if wrong.any():
        worst = (
            np.unravel_index(int(np.nanargmax(np.where(wrong, err, -1.0))), a.shape)
            if a.ndim
            else ()
        )
        where = tuple(int(i) for i in worst)
        raise CheckFailed(
            f"{name}: {int(wrong.sum())} of {a.size} value(s) differ.\n"
            f"  largest error {float(err[worst]):.3g} at index {where}: "
            f"expected {float(e[worst]):.6g}, got {float(a[worst]):.6g}"
            f" (tolerance {float(tol[worst]):.2g}){_hint(hint)}"
        )


def check_equal(
    actual: Any, expected: Any, *, name: str = "output", hint: str | None = None
) -> None:
    """Asserts exact equality for strings, ints, tuples of ints and integer arrays."""
    if isinstance(expected, (str, bool)) or expected is None:
        ok = type(actual) is type(expected) and actual == expected
    elif isinstance(expected, tuple) and all(isinstance(v, int) for v in expected):
        ok = isinstance(actual, (tuple, list)) and tuple(int(v) for v in actual) == expected
    else:
        a, e = _to_numpy(actual, name), np.asarray(expected)
        ok = a.shape == e.shape and bool(np.array_equal(a, e))
    if not ok:
        raise CheckFailed(f"{name}: expected {expected!r}, got {actual!r}.{_hint(hint)}")


def check_true(condition: bool, message: str) -> None:
    """Asserts a property; ``message`` says what was expected and what to look at."""
    if not (isinstance(condition, (bool, np.bool_)) and bool(condition)):
        raise CheckFailed(message)


def check_unchanged(before: Any, after: Any, *, name: str = "input") -> None:
    """Asserts that a function left its input as it was (graded functions must not mutate)."""
    if not np.array_equal(_to_numpy(before, name), _to_numpy(after, name)):
        var = name if name.isidentifier() else "x"
        what = f"its argument `{name}`" if var == name else name
        raise CheckFailed(
            f"Your code changed {what} in place (an in-place operation such as `-=`, `/=` or a "
            f"method ending in `_`). Work on a copy (`{var} = {var}.copy()` for an array, "
            f"`{var} = {var}.clone()` for a tensor) "
            "or build a new one instead."
        )


def check_call(
    fn: Callable[..., Any], *args: Any, name: str, hint: str | None = None, **kwargs: Any
) -> Any:
    """Calls ``fn(*args, **kwargs)`` and turns an exception into a failed check that says what was
    called, what went wrong and, with ``hint``, how to fix it (the error stays chained below).

    Returns:
        Whatever ``fn`` returned, so the value can be checked next.
    """
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # a raw shape error from deep inside PyTorch says nothing on its own
        raise CheckFailed(f"{name} raised {type(exc).__name__}: {exc}{_hint(hint)}") from exc


# What each kind of floating-point warning means, in words.
_WARNING_MEANING = {
    "overflow": "a value grew past the largest float (exp(1000) is inf)",
    "divide by zero": "a division by zero, or the log of 0 (log(0) is -inf)",
    "invalid value": "an operation with no answer, such as 0 / 0, inf / inf or inf - inf, made a NaN",
}


def check_no_warnings(
    fn: Callable[..., Any],
    *args: Any,
    name: str | None = None,
    hint: str | None = None,
    **kwargs: Any,
) -> Any:
    """Calls ``fn(*args, **kwargs)`` and fails if it emits a warning (overflow, divide by zero).

    The message says what the warning means (``hint`` adds how to avoid it).

    Returns:
        Whatever ``fn`` returned, so the value can be checked next.
    """
    label = name or getattr(fn, "__name__", "your function")
    # Underflow (exp(-1000) == 0.0) is the harmless side of a stable formula: not reported.
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"),
    ):
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    if caught:
        text = str(caught[0].message)
        meaning = next((m for kind, m in _WARNING_MEANING.items() if kind in text), None)
        raise CheckFailed(
            f"{label} emitted a warning: {caught[0].category.__name__}: {text}"
            + (f": {meaning}." if meaning else ".")
            + (
                _hint(hint)
                if hint
                else " Rewrite the computation so that no intermediate value is inf or NaN."
            )
        )
    return result


def passed(what: str) -> None:
    """Prints the success line of a test cell."""
    print(f"\u2705 {what}: all visible tests passed.")
