"""Plausible student mistakes, one module per notebook, each of which must lose points.

Every notebook module defines ``ASSIGNMENT`` (the assignment id) and ``MISTAKES``, a list of
:class:`Mistake`, each built with ``mistake(ASSIGNMENT, ...)``: the solution's own answer plus
the edit. ``tests/notebooks/test_mistakes.py`` grades the reference solution with one answer
cell replaced by the mistaken code and asserts that its exercise's test cells lose points, that
a visible check says what is wrong, and that the later exercises built on it keep theirs.
An edit's ``old`` text must occur exactly once in the answer, docstring included: anchor it on
the code line when the docstring says the same words.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from autograder.course import REPO_ROOT
from autograder.demo import solved

__all__ = ["Mistake", "answer", "mistake", "quiz", "variant"]


@dataclass(frozen=True)
class Mistake:
    """One wrong answer.

    Attributes:
        answer_cell: grade_id of the answer (solution) cell to replace.
        test_cell: grade_id of a test cell of the mistake's exercise (the test cells between
            its answer cell and the next answer cell). The mistake must lose the points of at
            least one of them; a trained model's sealed accuracy cell counts only when named.
        source: the whole replacement source of the answer cell (the def line included).
        why: the misconception, in a few words (shown in the test id and the failure message).
        hidden_only: only the hidden records may catch it, because a visible check would give
            the answer away (a quiz's letter). Every other mistake must fail a visible check, so
            that no correct-looking work passes the student's tests and then loses points.
    """

    answer_cell: str
    test_cell: str
    source: str
    why: str
    hidden_only: bool = False


def variant(reference: str, *edits: tuple[str, str]) -> str:
    """The reference answer with each ``(old, new)`` edit applied exactly once.

    Raises:
        ValueError: an ``old`` text does not occur exactly once, so the edit would be ambiguous
            or would silently do nothing.
    """
    source = reference
    for old, new in edits:
        if source.count(old) != 1:
            raise ValueError(f"edit target must occur exactly once: {old!r}")
        source = source.replace(old, new)
    return source


@functools.cache
def _answers(assignment_id: str) -> dict[str, str]:
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in solved(REPO_ROOT, assignment_id).cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def answer(assignment_id: str, grade_id: str) -> str:
    """The reference answer of an answer cell, read out of the solution notebook (docstring
    kept, solution markers removed): what a student who solved it would hand in."""
    return _answers(assignment_id)[grade_id]


def mistake(
    assignment_id: str,
    answer_cell: str,
    test_cell: str,
    why: str,
    *edits: tuple[str, str],
    base: str | None = None,
    hidden_only: bool = False,
) -> Mistake:
    """The reference answer of ``answer_cell`` with the misconception edited in (``variant``),
    so no hand copy of an answer exists and each mistake differs from it by exactly its error.

    ``base``, if given, is edited instead: a correct answer in another style, taken from the
    notebook's module in ``tests/notebooks/styles/`` (a loop where the reference vectorizes)."""
    reference = answer(assignment_id, answer_cell) if base is None else base
    source = variant(reference, *edits)
    return Mistake(answer_cell, test_cell, source, why, hidden_only)


def quiz(mistakes: list[Mistake]) -> list[Mistake]:
    """The wrong answers to a multiple-choice question: hidden-only (see :class:`Mistake`)."""
    return [replace(m, hidden_only=True) for m in mistakes]
