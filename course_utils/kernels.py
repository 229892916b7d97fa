"""How the course's tools run a notebook top to bottom in a fresh kernel, and under which limits.

The grader's reference run (``autograder.reference``), the grader's own limits
(``autograder.sandbox``) and the student's hand-in check (:mod:`course_utils.handin`) all come
from here, so that the check runs a notebook as the grader does. It lives in ``course_utils``
because the check must work where ``autograder`` is not installed (a student bundle, Colab):
it needs nbclient and nothing else.

Such a run has no notebook frontend: :data:`BATCH_RUN_ENV` tells the hand-in check in the
notebook's last cell so, and :data:`FRONTEND_VARIABLES` are not passed on, so that a tool started
from inside a Jupyter notebook (``!python -m autograder grade ...``) cannot make every kernel it
starts believe it is that notebook.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from nbformat import NotebookNode

__all__ = [
    "BATCH_RUN_ENV",
    "CELL_FACTOR",
    "CELL_FLOOR",
    "FRONTEND_VARIABLES",
    "NOTEBOOK_FACTOR",
    "NOTEBOOK_FLOOR",
    "NOTEBOOK_SWITCHES",
    "execute_notebook",
    "kernel_environment",
]

# Without --timeout, a cell may run CELL_FACTOR times as long as in the reference run, and never
# less than CELL_FLOOR seconds: a busy or slow grading machine fails no honest work, slower but
# correct code in a quick cell still has ten minutes, and a hang is still stopped. The notebook's
# limit is relative in the same way. The student's check has no reference run to compare with:
# it gives every cell the floor.
CELL_FACTOR, CELL_FLOOR = 10, 600
NOTEBOOK_FACTOR, NOTEBOOK_FLOOR = 5, 1800

#: Set (to "1") in every kernel a course tool starts: the check's, the grader's, a reference run's.
BATCH_RUN_ENV = "COURSE_BATCH_RUN"
#: What a notebook frontend tells its kernel about the notebook it edits: ipykernel turns
#: ``JPY_SESSION_NAME`` (set by jupyter_server) into ``__session__``.
FRONTEND_VARIABLES = ("JPY_SESSION_NAME",)
# Environment variables a student sets to explore with a notebook (05's real roof folder and
# ImageNet weights). The reference, like every graded run, goes without them (a sandboxed run
# gets a minimal environment anyway), and so does the student's check.
NOTEBOOK_SWITCHES = ("ROOF_FOLDER", "DOWNLOAD_WEIGHTS")
_INLINE = "module://matplotlib_inline.backend_inline"


def kernel_environment(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    """``base`` without the student's switches and the frontend's variables, marked as a batch
    run, with ``extra`` on top."""
    dropped = (*NOTEBOOK_SWITCHES, *FRONTEND_VARIABLES)
    env = {k: v for k, v in base.items() if k not in dropped}
    return {**env, BATCH_RUN_ENV: "1", **extra}


def execute_notebook(
    nb: NotebookNode,
    workdir: Path,
    *,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
    on_cell_start: Callable[[int], object] | None = None,
) -> NotebookNode:
    """Runs ``nb`` in a fresh python3 kernel with ``workdir`` as its working directory.

    The kernel's environment is :func:`kernel_environment` of this process's, with ``env`` on
    top. Figures are drawn as in Jupyter (the inline backend, whatever ``MPLBACKEND`` says
    here), so the executed notebook shows what a student sees. Errors do not stop the run
    (``allow_errors``): callers inspect the outputs; a cell past ``timeout`` seconds or a dead
    kernel does (nbclient's ``CellTimeoutError``, ``DeadKernelError``). ``on_cell_start`` gets
    each cell's index as it starts; nbclient records each cell's start and end times in its
    ``metadata.execution``.
    """
    from nbclient import NotebookClient  # only a run needs it: the notebooks import this module

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        shutdown_kernel="immediate",  # nothing left to save: skip the graceful goodbye
        resources={"metadata": {"path": str(workdir)}},
    )
    if on_cell_start:
        client.on_cell_start = lambda cell, cell_index: on_cell_start(cell_index)
    extra = {**(env or {}), "MPLBACKEND": _INLINE}
    client.execute(env=kernel_environment(os.environ, **extra))
    return nb
