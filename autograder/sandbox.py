"""Executes a submission in a bubblewrap sandbox, under limits, and kills the whole tree on a breach.

Each run is one ``autograder.executor`` process (and the kernel it starts) inside ``bwrap``
(bubblewrap, the sandbox Flatpak uses), started through :mod:`autograder.confine`:

* new user, mount, PID, network, IPC, UTS and cgroup namespaces; the submission runs as an
  ordinary user (uid 1000) with no capabilities and ``no_new_privs``, and may not create
  further user namespaces, so it cannot mount, unmount or remount anything;
* a filesystem built from nothing: the system folders (``/usr``, ``/etc``, ...), this Python and
  its packages, and the course's helper packages and data, all read-only; the working folder
  (``/submission``, read-write) and a private, size-limited ``/tmp`` and ``/dev/shm`` that
  vanish with the run. Solutions, tests, ``.git``, the output folder, the reference evidence,
  the submissions folder and the instructor's home are simply not there;
* no network: a private loopback only; a fresh ``/proc`` that shows the sandbox's own processes.

Limits: wall-clock time per cell (in the executor) and per notebook, and memory, are watched from
outside; a cgroup (:mod:`autograder.cgroup`), where the machine offers one, also caps memory with
tmpfs and ``/dev/shm`` pages counted, and the number of processes; ``RLIMIT_FSIZE`` caps every
file the submission writes. The notebook reaches the executor on standard input (so the hidden
tests of cells still to come are never a file there), and the grader reads back one file, the
run's outputs, as a regular file, without following links and up to a size cap, and puts them
into its own copy of the notebook; its own state never lives where the sandbox can see it.
:func:`isolation_problem` says why a machine cannot sandbox (the grader then refuses to run
student code unless told ``--no-sandbox``). The command line is built in
:mod:`autograder.bwrap`, and the limits are watched from outside by :mod:`autograder.watchdog`.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil

from autograder import cgroup
from autograder.bwrap import SANDBOX_WORKDIR, bwrap_command, bwrap_options
from autograder.watchdog import watch
from course_utils.kernels import (
    BATCH_RUN_ENV,
    CELL_FACTOR,
    CELL_FLOOR,
    NOTEBOOK_FACTOR,
    NOTEBOOK_FLOOR,
)

__all__ = [
    "CELL_FACTOR",
    "CELL_FLOOR",
    "NOTEBOOK_FACTOR",
    "NOTEBOOK_FLOOR",
    "REFERENCE_CELL_SECONDS",
    "INSTALL_HINT",
    "SANDBOX_WORKDIR",
    "Limits",
    "RunResult",
    "isolation_available",
    "isolation_description",
    "isolation_problem",
    "read_regular_file",
    "remove_tree",
    "run_isolated",
    "thread_environment",
]

_CONFINE = Path(__file__).with_name("confine.py")
_RESULTS = "results.json"  # what the executor writes in the working folder: outputs only
INSTALL_HINT = (
    "install bubblewrap 0.8 or newer (Debian/Ubuntu: apt-get install bubblewrap; "
    "Fedora: dnf install bubblewrap) on a Linux machine that allows user namespaces, "
    "or grade on such a machine"
)


# The limits relative to the reference run (CELL_FACTOR, CELL_FLOOR, NOTEBOOK_*) live in
# course_utils.kernels, where the student's check reads them too. A run with nothing to compare
# with (the reference run, nbgrader's own commands) has a fixed limit per cell.
REFERENCE_CELL_SECONDS = 1800


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    # None: relative to the work, from the reference run's time for each cell and for the whole
    # notebook (autograder.preparation.time_limits); a number is the same limit for every submission.
    cell_seconds: int | None = None
    notebook_seconds: int | None = None
    memory_bytes: int = 4 * 2**30  # resident memory, and (with a cgroup) /tmp and /dev/shm too
    output_bytes: int = 20 * 2**20  # notebook output kept by the executor
    file_bytes: int = 64 * 2**20  # largest file the submission may write; its outputs included
    tmp_bytes: int = 512 * 2**20  # size of each of the private /tmp and /dev/shm
    processes: int = 512  # processes and threads (torch and BLAS start one thread per core)
    threads: int = 0  # BLAS / torch threads per submission; 0 leaves the libraries' default


@dataclass(frozen=True)
class RunResult:
    """How a sandboxed run ended; ``notebook`` holds whatever ran (None if nothing did)."""

    status: str  # ok | timeout | crashed
    message: str
    seconds: float
    notebook: nbformat.NotebookNode | None


@functools.cache
def isolation_problem() -> str | None:
    """None where submissions can be sandboxed here; otherwise why not, in one sentence."""
    if sys.platform != "linux":
        return f"bubblewrap sandboxes need Linux, and this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as tmp:
        options = bwrap_options(Path(tmp), Limits().tmp_bytes, [], [])
        probe = ["bwrap", *options, "--", sys.executable, "-I", "-c", "pass"]
        try:
            result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not start: {exc}"
    if result.returncode != 0:
        return f"bwrap failed here: {result.stderr.strip()[:300]}"
    return None


def isolation_available() -> bool:
    """Can this machine run submissions in a bubblewrap sandbox?"""
    return isolation_problem() is None


def isolation_description() -> str:
    """One line for the instructor: what confined the submissions on this machine."""
    box = "bubblewrap" if isolation_available() else f"none ({isolation_problem()})"
    if cgroup.mode() == "none":
        limits = (
            "no cgroup: memory is the processes' resident memory plus the size-limited /tmp "
            "and /dev/shm, processes are limited per user by RLIMIT_NPROC"
        )
    else:
        limits = (
            f"a {cgroup.mode()} group per submission limits memory (tmpfs included) and processes"
        )
    return f"{box}; {limits}"


def thread_environment(threads: int) -> dict[str, str]:
    """The variables that cap BLAS and torch at ``threads`` threads (none for 0: their default).

    Parallel submissions share the cores instead of each taking all of them.
    """
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {name: str(threads) for name in names} if threads else {}


def _environment(home: Path, threads: int, pythonpath: str) -> dict[str, str]:
    """A minimal environment: nothing of the instructor's beyond what Python needs to start."""
    keep = ("PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "COURSE_DATA_DIR", "OMP_NUM_THREADS")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(thread_environment(threads))
    env.update(
        HOME=str(home),
        USER="student",
        LOGNAME="student",
        PYTHONPATH=pythonpath,
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        JUPYTER_RUNTIME_DIR=str(home / ".runtime"),
        IPYTHONDIR=str(home / ".ipython"),  # no instructor profile or startup scripts
        JUPYTER_PLATFORM_DIRS="1",
    )
    # Nothing of a notebook frontend (JPY_SESSION_NAME, when grading from a Jupyter notebook's
    # shell) is kept above; this says so to the hand-in check in the notebook's last cell too.
    env[BATCH_RUN_ENV] = "1"
    return env


def read_regular_file(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``, without following links.

    For files in a folder that student code could write: a symlink, a directory, a FIFO or a
    device there gives None instead of anything the link points to.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        data = f.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


def remove_tree(path: Path) -> None:
    """Deletes a folder a submission wrote to, whatever permissions it set on what it left."""

    def unlock(function, name, _exc_info) -> None:  # noqa: ANN001 - shutil.rmtree's callback
        parent = os.path.dirname(name)
        for target in (parent, name):
            try:
                os.chmod(target, 0o700, follow_symlinks=False)
            except (OSError, NotImplementedError):
                pass
        try:
            function(name)
        except FileNotFoundError:
            pass

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=unlock)
        shutil.rmtree(path, ignore_errors=True)


def _merged(
    notebook: nbformat.NotebookNode, data: bytes | None
) -> tuple[nbformat.NotebookNode | None, dict]:
    """The grader's notebook with the outputs the run reported, and the run's own status.

    ``data`` is the executor's results file, written inside the sandbox and so untrusted: only
    outputs of existing code cells are taken, and the result must be a valid notebook.
    """
    try:
        results = json.loads(data) if data else None
        nb = copy.deepcopy(notebook)
        for key, cell in results["cells"].items():
            target = nb.cells[int(key)]
            if target.cell_type == "code":
                target.outputs = [nbformat.from_dict(o) for o in cell["outputs"]]
                target.execution_count = cell["execution_count"]
        nbformat.validate(nb)
    except Exception:  # anything malformed (nbformat and json raise many types): nothing ran
        return None, {}
    return nb, {k: str(results.get(k, "")) for k in ("status", "message")}


def _executor_command(cell_limits: Sequence[int], output_bytes: int) -> list[str]:
    """The executor's command line: it reads the notebook on standard input."""
    return [
        sys.executable, "-m", "autograder.executor", _RESULTS,
        "--cell-limits", ",".join(str(s) for s in cell_limits),
        "--output-cap", str(output_bytes),
    ]  # fmt: skip


def _confine_command(group: cgroup.Cgroup | None, limits: Limits) -> list[str]:
    """:mod:`autograder.confine`'s command line: the cgroup to join and the resource limits."""
    confine = [sys.executable, "-I", str(_CONFINE)]
    for procs in group.procs_files if group else []:
        confine += ["--cgroup", str(procs)]
    for name, value in (("fsize", limits.file_bytes), ("nproc", limits.processes), ("core", 0)):
        confine += ["--limit", f"{name}={value}"]
    return confine


def _send(proc: subprocess.Popen, notebook: nbformat.NotebookNode) -> None:
    """Writes the notebook to the executor's standard input, then closes it."""
    try:
        proc.stdin.write(nbformat.writes(notebook).encode())
        proc.stdin.close()
    except BrokenPipeError:  # the executor ended before reading it: reported by the result
        pass


def _result(
    notebook: nbformat.NotebookNode,
    workdir: Path,
    log: Path,
    limits: Limits,
    watched: tuple[str, str],
    seconds: float,
) -> RunResult:
    """How the run ended, and the notebook with the outputs it recorded.

    ``watched`` is the watchdog's ``(status, message)``: where it stopped the run, that is the
    status; otherwise the executor's own, from its results file, is taken.
    """
    status, message = watched
    if status == "crashed":
        message = (
            f"used more than {limits.memory_bytes / 2**30:.1f} GiB of memory "
            "(files in /tmp and /dev/shm included) and was stopped"
        )
    nb, recorded = _merged(notebook, read_regular_file(workdir / _RESULTS, limits.file_bytes))
    if not status:  # the executor ended by itself: take what it wrote
        status, message = recorded.get("status", "crashed"), recorded.get("message", "")
        if status not in ("ok", "timeout", "crashed") or nb is None:
            tail = (read_regular_file(log, 2**20) or b"")[-300:].decode(errors="replace")
            status, message = "crashed", f"the executor stopped unexpectedly: {tail.strip()}"
    elif recorded.get("message"):
        message = f"{message} ({recorded['message']})"
    return RunResult(status=status, message=message, seconds=seconds, notebook=nb)


def run_isolated(
    notebook: nbformat.NotebookNode,
    workdir: Path,
    log: Path,
    limits: Limits,
    *,
    cell_limits: Sequence[int] | None = None,
    readonly: Sequence[Path] = (),
    hide: Sequence[Path] = (),
    sandbox: bool = True,
) -> RunResult:
    """Executes ``notebook`` in ``workdir`` under ``limits``.

    Args:
        notebook: the notebook to run. It reaches the executor on standard input, never as a
            file in the sandbox; the result is this notebook with the run's outputs added.
        workdir: the submission's private working folder, the only one it may write to.
        log: where the executor's own output goes: a file in a folder the sandbox never sees.
        limits: time, memory, process, file and output limits; ``notebook_seconds`` must be set.
        cell_limits: each cell's time limit in seconds, in cell order (default:
            ``limits.cell_seconds`` for every cell).
        readonly: folders the submission may read besides the system and this Python (the
            course's helper packages and data).
        hide: folders inside ``readonly`` that the submission must not see.
        sandbox: False runs without bubblewrap (trusted submissions only): limits still apply.
    """
    if cell_limits is None:
        cell_limits = [limits.cell_seconds] * len(notebook.cells)
    if limits.notebook_seconds is None or None in cell_limits:
        raise ValueError(
            "run_isolated needs time limits in seconds: see autograder.preparation.time_limits"
        )
    workdir = workdir.resolve()
    home = SANDBOX_WORKDIR if sandbox else workdir
    command = _executor_command(cell_limits, limits.output_bytes)
    pass_fds: tuple[int, ...] = ()
    if sandbox:
        options = bwrap_options(workdir, limits.tmp_bytes, readonly, hide)
        command, pass_fds = bwrap_command(options, command)
    group = cgroup.create(limits.memory_bytes, limits.processes)
    confine = _confine_command(group, limits)
    pythonpath = os.pathsep.join(sorted({str(Path(p).parent) for p in readonly}))
    start = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*confine, "--", *command],
            cwd=workdir,
            env=_environment(home, limits.threads, pythonpath),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=out,
            start_new_session=True,
            pass_fds=pass_fds,
        )
        for fd in pass_fds:
            os.close(fd)
        root = psutil.Process(proc.pid)
        _send(proc, notebook)
        watched = watch(
            proc,
            root,
            group,
            start=start,
            notebook_seconds=limits.notebook_seconds,
            memory_bytes=limits.memory_bytes,
        )
    seconds = time.monotonic() - start
    return _result(notebook, workdir, log, limits, watched, seconds)
