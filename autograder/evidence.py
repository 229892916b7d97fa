"""Positive evidence: a test cell earns points only if its hidden checks match the reference run.

Test cells emit *records* (``course_utils.checks.record``) carrying the student's values. The
reference solution, run by the instructor in a trusted process (``autograder.reference``), emits
records under the same names. This module compares the two outside the student's kernel, so
nothing a student patches inside the kernel (``np.allclose``, the check helpers, exception or
display hooks) can turn a wrong value into a pass: the kernel never sees the expected values.

:class:`VerifyEvidence` plugs the comparison into nbgrader's autograde step. It appends an
``error`` output to every test cell whose evidence is missing or wrong; nbgrader's own scoring
then gives that cell 0 and its feedback shows why, so the gradebook stays nbgrader's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from course_utils.cells import first_error, grade_id, is_test_cell, nbgrader_meta
from course_utils.checks import EVIDENCE_MIME, decode_value

__all__ = [
    "EvidenceError",
    "grade_id",
    "nbgrader_meta",
    "Verdict",
    "VerifyEvidence",
    "cell_records",
    "first_error",
    "compare_records",
    "decode_accuracy",
    "is_sealed_cell",
    "is_test_cell",
    "load_reference",
]

Records = dict[str, dict[str, Any]]  # record name -> payload


class EvidenceError(RuntimeError):
    """The instructor's side is inconsistent (no reference for a notebook, a cell without checks)."""


@dataclass(frozen=True)
class Verdict:
    """Outcome of one test cell's hidden checks."""

    passed: bool
    failures: tuple[str, ...] = ()

    def message(self) -> str:
        return "; ".join(self.failures)


def is_sealed_cell(cell: NotebookNode) -> bool:
    """True for a test cell that scores a trained model on a held-out set (record_predictions)."""
    return is_test_cell(cell) and "record_predictions(" in str(cell.get("source", ""))


def cell_records(cell: NotebookNode) -> tuple[Records, list[str]]:
    """Collects a cell's records by name. Returns (records, problems), duplicates being problems."""
    records: Records = {}
    problems: list[str] = []
    for output in cell.get("outputs", []):
        payload = output.get("data", {}).get(EVIDENCE_MIME) if "data" in output else None
        if not isinstance(payload, Mapping) or not isinstance(payload.get("name"), str):
            continue
        name = payload["name"]
        if name in records:
            problems.append(f"check '{name}' was recorded more than once")
        records[name] = dict(payload)
    return records, problems


def _decode(payload: Mapping[str, Any], key: str = "value") -> Any:
    encoded = payload.get(key)
    if not isinstance(encoded, Mapping):
        raise ValueError("no value")
    if encoded.get("type") == "error":
        raise ValueError(str(encoded.get("message", "value could not be recorded")))
    return decode_value(encoded)


def _kind(value: Any) -> str:
    """What a decoded value is, in words: ``an array of shape (2, 3)``, ``3 items``, ``'c'``."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" if value.ndim else f"the number {_number(value)}"
    if isinstance(value, list):
        return f"{len(value)} item(s)"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)}"
    return repr(value)


def _index(position: Iterable[Any]) -> tuple[int, ...]:
    return tuple(int(i) for i in position)


def _number(value: Any) -> str:
    return f"{float(value):.6g}"


def _values_match(got: Any, want: Any, rtol: float, atol: float) -> str | None:
    """None if ``got`` matches ``want``, else a short reason. Both come from :func:`decode_value`."""
    if isinstance(want, np.ndarray):
        return _arrays_match(got, want, rtol, atol)
    if isinstance(want, dict):
        return _dicts_match(got, want, rtol, atol)
    if isinstance(want, list):
        return _lists_match(got, want, rtol, atol)
    return _scalars_match(got, want)


def _arrays_match(got: Any, want: np.ndarray, rtol: float, atol: float) -> str | None:
    """:func:`_values_match` for an array: its shape, then where it is NaN, then its values."""
    if not isinstance(got, np.ndarray):
        return f"expected an array of shape {want.shape}, got {_kind(got)}"
    if got.shape != want.shape:
        return f"expected shape {want.shape}, got {got.shape}"
    if want.size == 0:
        return None
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    reason = _nans_differ(got64, want64)
    if reason:
        return reason
    if want.dtype.kind == "i" and got.dtype.kind == "i":
        return _integers_match(got, want)
    return _floats_match(got64, want64, rtol, atol)


def _nans_differ(got64: np.ndarray, want64: np.ndarray) -> str | None:
    """None if ``got64`` is NaN exactly where ``want64`` is, else where it is not."""
    nan_differs = np.isnan(got64) != np.isnan(want64)
    if not nan_differs.any():
        return None
    where = _index(np.argwhere(nan_differs)[0])
    return (
        f"{int(nan_differs.sum())} value(s) are NaN where the reference has a number, "
        f"or the reverse:{f' at index {where}' if where else ''} expected "
        f"{_number(want64[where])}, got {_number(got64[where])}"
    )


def _integers_match(got: np.ndarray, want: np.ndarray) -> str | None:
    """Integer arrays of the same shape: equal, or how many differ and the first that does."""
    wrong = got != want
    if not wrong.any():
        return None
    where = _index(np.argwhere(wrong)[0])
    return (
        f"{int(wrong.sum())} of {want.size} integer values differ, the first at index "
        f"{where}: expected {int(want[where])}, got {int(got[where])}"
    )


def _floats_match(got64: np.ndarray, want64: np.ndarray, rtol: float, atol: float) -> str | None:
    """Float arrays of the same shape and NaNs: within tolerance, or the worst value that is not.

    The tolerance is ``atol + rtol * |want64|``; a NaN or an infinity matches itself.
    """
    with np.errstate(invalid="ignore"):
        err = np.where(np.isnan(want64), 0.0, np.abs(got64 - want64))
        err = np.where(np.isinf(want64) & (got64 == want64), 0.0, err)
        tol = atol + rtol * np.abs(want64)
        ok = err <= tol
    if ok.all():
        return None
    # the worst of the values out of tolerance (an inf error counts as the largest)
    where = _index(np.unravel_index(int(np.argmax(np.where(ok, -1.0, err))), err.shape))
    if not where:  # one number
        return f"expected {_number(want64)}, got {_number(got64)} (tolerance {float(tol):.2g})"
    return (
        f"{int((~ok).sum())} of {want64.size} values differ; the largest error is "
        f"{float(err[where]):.3g} at index {where}: expected {_number(want64[where])}, "
        f"got {_number(got64[where])} (tolerance {float(tol[where]):.2g})"
    )


def _dicts_match(got: Any, want: dict, rtol: float, atol: float) -> str | None:
    """:func:`_values_match` for a dict: the same keys, then each value, in ``want``'s order."""
    if not isinstance(got, dict) or set(got) != set(want):
        return f"expected keys {sorted(want)}, got {sorted(got) if isinstance(got, dict) else _kind(got)}"
    for key in want:
        reason = _values_match(got[key], want[key], rtol, atol)
        if reason:
            return f"[{key!r}] {reason}"
    return None


def _lists_match(got: Any, want: list, rtol: float, atol: float) -> str | None:
    """:func:`_values_match` for a list: the same length, then each item."""
    if not isinstance(got, list) or len(got) != len(want):
        return f"expected {len(want)} items, got {_kind(got)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        reason = _values_match(g, w, rtol, atol)
        if reason:
            return f"[{i}] {reason}"
    return None


def _scalars_match(got: Any, want: Any) -> str | None:
    """:func:`_values_match` for anything else: a str, a bool or None."""
    # str, bool, None: exact, and of the same type (True is not 1, "c" is not "C").
    if type(got) is type(want) and got == want:
        return None
    if isinstance(want, str):  # a quiz's letter: the feedback must not hand out the answer
        return f"got {got!r}, which is not the answer"
    return f"expected {want!r}, got {got!r}"


def decode_accuracy(got: Mapping[str, Any], want: Mapping[str, Any]) -> float | None:
    """Accuracy of ``got``'s predicted labels against ``want``'s targets (the grader's labels).

    None when the predictions are not one integer label per target. Targets come from the
    reference record only: a student's record carries none.
    """
    try:
        value, targets = _decode(got), _decode(want, "targets")
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(value, np.ndarray) or value.shape != targets.shape:
        return None
    return float(np.mean(value == targets))


def _check_one(name: str, got: Mapping[str, Any] | None, want: Mapping[str, Any]) -> str | None:
    if got is None:
        return (
            f"hidden check '{name}' did not run (the cell stopped early or the check was bypassed)"
        )
    if got.get("kind") != want.get("kind"):
        return f"hidden check '{name}' was recorded the wrong way"
    try:
        value = _decode(got)
    except (ValueError, KeyError, TypeError) as exc:
        return f"hidden check '{name}': {exc}"
    if want["kind"] == "accuracy":
        accuracy = decode_accuracy(got, want)
        if accuracy is None:
            count = _decode(want, "targets").shape[0]
            return f"hidden check '{name}': expected {count} predicted labels"
        if accuracy < float(want["min_accuracy"]):
            return f"hidden check '{name}': accuracy {accuracy:.3f} is below {float(want['min_accuracy']):.2f}"
        return None
    reason = _values_match(value, _decode(want), float(want["rtol"]), float(want["atol"]))
    return (
        f"hidden check '{name}' does not match the reference solution: {reason}" if reason else None
    )


def compare_records(student: Records, reference: Records) -> Verdict:
    """Compares one cell's student records with the reference run's records for that cell.

    Only names the reference recorded count; tolerances and pass marks come from the reference.
    """
    if not reference:
        raise EvidenceError("the reference run recorded no checks for this cell")
    failures = [
        f for name in reference if (f := _check_one(name, student.get(name), reference[name]))
    ]
    return Verdict(passed=not failures, failures=tuple(failures))


def load_reference(path: Path) -> dict[str, Records]:
    """Reads a reference file written by ``autograder.reference``: {grade_id: {name: payload}}."""
    try:
        return json.loads(path.read_text())["cells"]
    except FileNotFoundError:
        raise EvidenceError(
            f"no reference evidence at {path}; build it with autograder.reference"
        ) from None


def evidence_error_output(cell_id: str, failures: Iterable[str]) -> NotebookNode:
    """The error output that tells nbgrader (and the student) that a cell earned nothing."""
    lines = list(failures)
    return new_output(
        "error",
        ename="HiddenTestFailed",
        evalue=f"{cell_id}: " + "; ".join(lines),
        traceback=["HiddenTestFailed: the hidden tests of this cell did not pass."]
        + [f"  - {line}" for line in lines],
    )


def _stderr_as_note(cell: NotebookNode) -> None:
    """Turns a test cell's stderr output into a note on stdout, so that it costs no points.

    nbgrader scores any stderr output as a failure, but in this protocol a failed check always
    raises: stderr there is a library's warning (a FutureWarning inside a correct answer, say),
    which the student should still see.
    """
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            output["name"] = "stdout"
            output["text"] = "note (a warning, which costs no points):\n" + str(
                output.get("text", "")
            )


class VerifyEvidence(NbGraderPreprocessor):
    """nbgrader autograde step: zero every test cell without matching evidence (see module doc)."""

    reference_directory = Unicode(
        "", help="Folder holding <assignment_id>/<notebook_id>.json reference evidence files."
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        if not self.reference_directory:
            raise EvidenceError("VerifyEvidence.reference_directory is not configured")
        path = Path(self.reference_directory) / info["assignment"] / f"{info['notebook']}.json"
        self._reference = load_reference(path)
        return super().preprocess(nb, resources)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if not is_test_cell(cell):
            return cell, resources
        grade_id = cell.metadata.nbgrader["grade_id"]
        reference = self._reference.get(grade_id)
        if reference is None:
            raise EvidenceError(f"the reference run has no test cell '{grade_id}'")
        _stderr_as_note(cell)
        records, problems = cell_records(cell)
        verdict = compare_records(records, reference)
        failures = problems + list(verdict.failures)
        if failures and not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.append(evidence_error_output(grade_id, failures))
        return cell, resources
