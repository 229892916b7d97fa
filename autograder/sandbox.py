"""Executes a submission in its own sandbox, with limits, and kills the whole tree on a breach.

Each run is one ``autograder.executor`` process started in a new session. Where Linux user
namespaces are available (``unshare``), it runs in its own mount and PID namespaces:

* the folders a student must not read (solutions, hidden tests, the gradebook and reference
  evidence in the output folder, the submissions folder, the repository's history) are covered
  with empty tmpfs mounts, and only the submission's own working folder is mounted back;
* the executor is PID 1 of its namespace, so killing it kills the kernel and everything the
  student's code started, whatever sessions they made.

Without namespaces the same limits apply (the tree is found and killed with psutil), but the files
stay readable: :func:`isolation_available` tells, and the grader says so once.
The wall-clock and memory limits are enforced from outside: the resident memory of the whole
tree is polled, so a blow-up is stopped within a fraction of a second of crossing the limit.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil

__all__ = ["Limits", "RunResult", "isolation_available", "run_isolated"]

_POLL_SECONDS = 0.1
# Inside the namespace: keep the working folder open, hide every private folder under an empty
# tmpfs, mount the working folder back (through the open descriptor, since its path is hidden
# now) and start the executor there.
_ISOLATE_SCRIPT = r"""
set -e
work="$1"; view="$2"; shift 2
exec 3<"$work"
while [ "$1" != "--" ]; do mount -t tmpfs -o size=16m,mode=755 none "$1"; shift; done
shift
mkdir -p "$view"
mount --bind /proc/self/fd/3 "$view"
exec 3<&-
cd "$view"
exec "$@"
"""


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    # Notebook 05's transformer cell trains for about 4 minutes on the one thread each of 2 jobs
    # gets on 2 cores; 10 minutes leaves room for a busy machine and longer student recipes.
    cell_seconds: int = 600
    notebook_seconds: int = 1800
    memory_bytes: int = 4 * 2**30
    output_bytes: int = 20 * 2**20
    threads: int = 0  # BLAS / torch threads per submission; 0 leaves the libraries' default


@dataclass(frozen=True)
class RunResult:
    """How a sandboxed run ended; ``notebook`` holds whatever ran (None if nothing did)."""

    status: str  # ok | timeout | crashed
    message: str
    seconds: float
    notebook: nbformat.NotebookNode | None


@functools.cache
def isolation_available() -> bool:
    """Can this machine give a submission its own mount and PID namespaces?"""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "true",
    ]
    try:
        return subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _environment(workdir: Path, threads: int) -> dict[str, str]:
    """A minimal environment: nothing of the instructor's beyond what Python needs to start."""
    keep = (
        "PATH",
        "LANG",
        "LC_ALL",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "COURSE_DATA_DIR",
        "OMP_NUM_THREADS",
    )
    env = {k: os.environ[k] for k in keep if k in os.environ}
    if threads:  # parallel submissions share the cores instead of each taking all of them
        env.update(
            {
                v: str(threads)
                for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
            }
        )
    env.update(
        HOME=str(workdir),
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        JUPYTER_RUNTIME_DIR=str(workdir / ".runtime"),
        IPYTHONDIR=str(workdir / ".ipython"),  # no instructor profile or startup scripts
        JUPYTER_PLATFORM_DIRS="1",
    )
    return env


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


def _kill(processes: list[psutil.Process]) -> None:
    for p in processes:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=5)


def run_isolated(notebook: Path, workdir: Path, limits: Limits, *, hide: list[Path]) -> RunResult:
    """Executes ``notebook`` (a file inside ``workdir``) under ``limits``.

    Args:
        notebook: the notebook to run; the executed copy is written beside it as ``executed.ipynb``.
        workdir: the submission's private working folder (the kernel's current folder).
        limits: time, memory and output limits.
        hide: folders the student's code must not see (used where isolation is available).
    """
    workdir = workdir.resolve()
    inside = workdir  # the working folder's path as the submission sees it
    executed = workdir / "executed.ipynb"
    command = [
        sys.executable, "-m", "autograder.executor", notebook.name, executed.name,
        "--cell-timeout", str(limits.cell_seconds), "--output-cap", str(limits.output_bytes),
    ]  # fmt: skip
    if isolation_available():
        # The working folder is shown again inside the first hidden folder that contains it; its
        # parent (other submissions' folders) is hidden too when no listed folder contains it.
        hidden: list[str] = []
        for path in sorted({p.resolve() for p in hide if p.is_dir()}):
            if not any(
                path.is_relative_to(h) for h in hidden
            ):  # a covered folder's children are gone
                hidden.append(str(path))
        parent = next((h for h in hidden if workdir.is_relative_to(h)), None)
        if parent is None:
            parent = str(workdir.parent)
            hidden.append(parent)
        view = f"{parent}/.work"
        inside = Path(view)
        command = [
            "unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
            "sh", "-c", _ISOLATE_SCRIPT, "sh", str(workdir), view, *hidden, "--", *command,
        ]  # fmt: skip
    log = open(workdir / "executor.log", "wb")  # noqa: SIM115 - closed below, after the wait
    start = time.monotonic()
    proc = subprocess.Popen(
        command,
        cwd=workdir,
        env=_environment(inside, limits.threads),
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    root = psutil.Process(proc.pid)
    status, message = "", ""
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - start
            tree = _tree(root)
            if elapsed > limits.notebook_seconds:
                _kill(tree)
                status, message = (
                    "timeout",
                    f"the notebook ran longer than {limits.notebook_seconds} s and was stopped",
                )
            elif _rss(tree) > limits.memory_bytes:
                _kill(tree)
                status, message = (
                    "crashed",
                    f"used more than {limits.memory_bytes / 2**30:.1f} GiB of memory and was stopped",
                )
            time.sleep(_POLL_SECONDS)
    finally:
        if proc.poll() is None:
            _kill(_tree(root))
        proc.wait()
        log.close()
    seconds = time.monotonic() - start

    nb = nbformat.read(executed, as_version=4) if executed.is_file() else None
    recorded = nb.metadata.get("autograder", {}) if nb is not None else {}
    if not status:  # the executor ended by itself: trust what it wrote
        status = recorded.get("status", "crashed")
        message = recorded.get("message", "")
        if status == "running" or nb is None:
            tail = (workdir / "executor.log").read_text(errors="replace")[-300:]
            status, message = "crashed", f"the executor stopped unexpectedly: {tail.strip()}"
    elif recorded.get("message"):
        message = f"{message} ({recorded['message']})"
    return RunResult(status=status, message=message, seconds=seconds, notebook=nb)
