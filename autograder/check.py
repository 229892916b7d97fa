"""``python -m autograder check NOTEBOOK``: a student's "ready to hand in?" check, from a shell.

The check itself is :mod:`course_utils.handin` (it must also work where this package is not
installed: a student bundle, Colab). This adapter reads the file as the grader does
(:func:`autograder.submissions.read_submission`: a size cap, nbformat 4, valid) and turns what cannot
be checked into a :class:`~autograder.submissions.GradingError`, one line for the command line.
"""

from __future__ import annotations

from pathlib import Path

from autograder.course import REPO_ROOT
from autograder.submissions import GradingError, read_submission
from course_utils.handin import HandInError, Report, check_notebook, released_ids
from course_utils.kernels import CELL_FLOOR

__all__ = ["Report", "check", "released_ids"]


def check(
    path: Path, *, root: Path = REPO_ROOT, dest: Path | None = None, timeout: int = CELL_FLOOR
) -> Report:
    """Checks a student's notebook as the grader will read it (:mod:`course_utils.handin`).

    Args:
        path: the notebook to hand in.
        root: the course (its ``notebooks/`` folder holds the released notebooks).
        dest: the folder for the clean copy (default: ``hand-in/`` beside ``path``).
        timeout: seconds any one cell may run.

    Raises:
        GradingError: the file is not a notebook of the course; the message says what to do.
    """
    nb, problem = read_submission(path)
    if nb is None:
        raise GradingError(f"{path} cannot be handed in: {problem}")
    try:
        return check_notebook(nb, path, root=root, dest=dest, timeout=timeout)
    except HandInError as exc:
        raise GradingError(str(exc)) from None
