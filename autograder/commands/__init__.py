"""One module per ``python -m autograder`` verb, in the order ``--help`` lists them.

Each module holds its verb's ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args)``,
which returns the exit status; :mod:`autograder.cli` only assembles them. The work itself lives
in the pipeline modules (``autograder.release``, ``autograder.grade``, ...).
"""

from __future__ import annotations

__all__ = ["VERBS"]

#: module names under ``autograder.commands``, in the order of ``python -m autograder --help``
VERBS = (
    "release",
    "tidy",
    "grade",
    "merge",
    "check",
    "export",
    "gradescope",
    "validate",
    "bundle",
    "demo",
)
