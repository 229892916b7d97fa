"""Plausible student mistakes, one module per notebook, each of which must lose points.

Every notebook module defines ``ASSIGNMENT`` (the assignment id) and ``MISTAKES``, a list of
:class:`Mistake`. ``tests/test_mistakes.py`` grades the reference solution with one answer cell
replaced by the mistaken code and asserts that the named test cell loses its points while the
test cells before it keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Mistake"]


@dataclass(frozen=True)
class Mistake:
    """One wrong answer.

    Attributes:
        answer_cell: grade_id of the answer (solution) cell to replace.
        test_cell: grade_id of the test cell that must lose its points.
        source: the whole replacement source of the answer cell (the def line included).
        why: the misconception, in a few words (shown in the test id and the failure message).
    """

    answer_cell: str
    test_cell: str
    source: str
    why: str
