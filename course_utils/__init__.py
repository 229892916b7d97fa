"""Helpers the course notebooks import, one module per concern: ``device``, ``data``,
``training``, ``plotting``, ``checks``, ``roofs``, ``sequences``, ``twins``; notebooks import
each name from its module (``from course_utils.training import fit``).

The one name at the top is ``check_hand_in``, the last cell of every notebook. It loads on first
use: its module imports nbformat (seconds), which the grader's ``import course_utils.checks``
must not pay for.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_hand_in"]


def __getattr__(name: str) -> Any:
    if name == "check_hand_in":
        from course_utils.frontend import check_hand_in

        globals()[name] = check_hand_in  # later lookups skip this function
        return check_hand_in
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
