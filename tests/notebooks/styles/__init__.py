"""Correct answers in other styles than the reference's, each of which must keep every point.

One module per notebook defines ``ASSIGNMENT`` and ``STYLES``, a list of :class:`Style`: the
ways of writing an exercise that other textbooks, libraries and public repositories use
(CS231n, d2l, timm, torchvision), adapted only to the course's signatures. ``tests/
test_mistakes.py`` grades the reference solution with one answer cell replaced by the style and
asserts that its own test cell and every later test cell that uses it keep their points.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Style"]


@dataclass(frozen=True)
class Style:
    """One correct answer written another way.

    Attributes:
        answer_cell: grade_id of the answer (solution) cell to replace.
        source: the whole replacement source of the answer cell.
        why: where the style comes from, in a few words (shown in the test id).
    """

    answer_cell: str
    source: str
    why: str
