"""The watchdog of a sandboxed run: it watches the process tree from outside and kills all of it.

:mod:`autograder.sandbox` starts the run; :func:`watch` then polls it every ``_POLL_SECONDS``
for the notebook's wall-clock limit and the resident memory of the whole tree, and on a breach
kills every process of it (and its cgroup, where :mod:`autograder.cgroup` made one, whose
out-of-memory kills count as a breach too).
"""

from __future__ import annotations

import subprocess
import time

import psutil

from autograder import cgroup

__all__ = ["watch"]

_POLL_SECONDS = 0.1


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss(processes: list[psutil.Process]) -> int:
    total = 0
    for p in processes:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _kill(processes: list[psutil.Process], group: cgroup.Cgroup | None) -> None:
    if group is not None:
        group.kill()
    for p in processes:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=5)


def watch(
    proc: subprocess.Popen,
    root: psutil.Process,
    group: cgroup.Cgroup | None,
    *,
    start: float,
    notebook_seconds: int,
    memory_bytes: int,
) -> tuple[str, str]:
    """Waits for ``proc`` to end, killing its whole tree on a breach of the limits.

    Args:
        proc: the run, started at ``time.monotonic()`` ``start``; ``root`` is the same process.
        group: the run's cgroup or None; it is removed once the run has ended.
        notebook_seconds: how long the run may take.
        memory_bytes: the most resident memory its whole tree may use.

    Returns:
        ``(status, message)``: ``("", "")`` when the run ended by itself, ``"timeout"`` and why,
        or ``"crashed"`` (memory) and ``""``, the message being the caller's to word.
    """
    status, message = "", ""
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - start
            tree = _tree(root)
            if elapsed > notebook_seconds:
                _kill(tree, group)
                status = "timeout"
                message = f"the notebook ran longer than {notebook_seconds} s and was stopped"
            elif _rss(tree) > memory_bytes:
                _kill(tree, group)
                status = "crashed"
            time.sleep(_POLL_SECONDS)
    finally:
        if proc.poll() is None:
            _kill(_tree(root), group)
        proc.wait()
        if group is not None:
            if group.oom_kills():
                status = status or "crashed"
            group.remove()
    return status, message
