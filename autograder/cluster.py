"""Running submissions on a Dask cluster: ``grade --scheduler ADDRESS``.

Only the sandboxed run leaves the instructor's machine. There,
:func:`autograder.execution.prepare_one` validates and rebuilds each submission; each worker gets
the rebuilt notebook and its limits (:class:`autograder.execution.Run`) and the assignment's
starting files as bytes (sent once per assignment), runs it in its own bubblewrap sandbox
(:func:`autograder.execution.run_one`) and sends the
executed notebook and the log back. Scoring, the gradebook (one writer) and the exports stay with
the instructor, as without Dask. So workers need the course installed (the same version: checked
before anything runs) and bubblewrap, but no shared filesystem.

Each submission goes to a free worker thread, never into a queue behind another, so a worker that
dies (killed, out of memory, its machine lost) takes only the submission it was running with it.
That one is sent again, to another worker; if that worker dies too, the row says "crashed" and
why. ``local:N`` starts a cluster of N one-thread worker processes on this machine, whose
scheduler fails a submission at its worker's first death (``allowed-failures`` 0) so that this
module decides; a scheduler of your own should be started the same way (autograder/README.md),
or Dask itself also retries each one as often as its ``allowed-failures`` says (default 3).

Dask is an optional extra: ``pip install -r requirements-cluster.txt``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.course import REPO_ROOT
from autograder.execution import (
    Run,
    Sandbox,
    crashed,
    prepare_one,
    private_folders,
    record_run,
    run_one,
    sandbox_paths,
)
from autograder.preparation import Course
from autograder.reference import default_cache
from autograder.sandbox import INSTALL_HINT, Limits, RunResult, isolation_problem
from autograder.submissions import GradingError, Outcome, Submission

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "LOCAL_PREFIX",
    "check_workers",
    "connect",
    "course_identity",
    "execute",
    "local_workers",
    "parse_resources",
    "session",
]

#: ``local:N``: a LocalCluster of N worker processes on this machine.
LOCAL_PREFIX = "local:"
#: How ``local:N`` runs its scheduler (and how to run one's own): a worker's death fails the
#: submission it was running at once, and :func:`execute` sends it again, once.
LOCAL_SCHEDULER_CONFIG = {"distributed.scheduler.allowed-failures": 0}
_WORKER_WAIT_SECONDS = 120
_CONNECT_TIMEOUT = "30s"
_POLL_SECONDS = 0.5
_INSTALL = "pip install -r requirements-cluster.txt"


def _distributed():  # noqa: ANN202 - the module, imported only when asked for
    try:
        import distributed
    except ImportError:
        raise GradingError(
            f"--scheduler needs Dask's distributed package, which is not installed: {_INSTALL}"
        ) from None
    return distributed


def parse_resources(items: Iterable[str]) -> dict[str, float]:
    """``["GPU=1"]`` as ``{"GPU": 1.0}``: what each submission asks of a worker (Dask resources).

    Raises:
        ValueError: an item that is not NAME=AMOUNT.
    """
    resources = {}
    for item in items:
        name, _, amount = (part.strip() for part in item.partition("="))
        try:
            value = float(amount)
        except ValueError:
            value = None
        if not name or value is None:
            raise ValueError(f"a resource is NAME=AMOUNT, e.g. GPU=1; got {item!r}")
        resources[name] = value
    return resources


def local_workers(address: str) -> int | None:
    """N for ``local:N``; None for the address of a running scheduler.

    Raises:
        GradingError: ``local:`` without a positive whole number.
    """
    if not address.startswith(LOCAL_PREFIX):
        return None
    count = address.removeprefix(LOCAL_PREFIX)
    if not count.isdigit() or int(count) < 1:
        raise GradingError(f"--scheduler {address}: local: takes a number of workers, e.g. local:4")
    return int(count)


@contextlib.contextmanager
def connect(address: str) -> Iterator[Client]:
    """A Dask client for ``address``: ``local:N`` or a scheduler such as ``tcp://host:8786``.

    Closed explicitly rather than with ``with``, so that it may be opened in one thread and
    closed in another (the grader starts it while the course is prepared).
    """
    distributed = _distributed()
    workers = local_workers(address)
    cluster = None
    if workers is not None:
        import dask

        with dask.config.set(LOCAL_SCHEDULER_CONFIG):  # read when the scheduler starts
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
    try:
        try:
            client = distributed.Client(cluster or address, timeout=_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise GradingError(
                f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc}): "
                "check the address (tcp://HOST:8786) and that `dask scheduler` runs there"
            ) from exc
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def session(
    address: str, *, sandbox: bool, resources: dict[str, float]
) -> contextlib.AbstractContextManager[Client]:
    """:func:`connect`, then :func:`check_workers`, on entering: a cluster ready to grade on.

    Raises:
        GradingError: at once, before the (slow) start: Dask is not installed, or ``address``
            is a malformed ``local:N``.
    """
    _distributed()
    local_workers(address)
    return _session(address, sandbox, resources)


@contextlib.contextmanager
def _session(address: str, sandbox: bool, resources: dict[str, float]) -> Iterator[Client]:
    with connect(address) as client:
        check_workers(client, sandbox=sandbox, resources=resources, address=address)
        yield client


def course_identity() -> str:
    """A digest of the course's own code (autograder and course_utils) as installed here."""
    import autograder
    import course_utils

    digest = hashlib.sha256()
    for package in (autograder, course_utils):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _worker_facts() -> dict[str, str]:
    """Run on each worker before grading: what the instructor checks."""
    return {"course": course_identity(), "sandbox": isolation_problem() or ""}


def check_workers(
    client: Client, *, sandbox: bool, resources: dict[str, float], address: str
) -> None:
    """Refuses a cluster that would grade differently or not at all.

    Raises:
        GradingError: no worker joined; a worker runs another version of the course, or cannot
            sandbox (unless ``sandbox`` is False); no worker offers ``resources``.
    """
    try:
        client.wait_for_workers(1, timeout=_WORKER_WAIT_SECONDS)
    except TimeoutError:
        raise GradingError(
            f"no Dask worker joined the scheduler at {address} within {_WORKER_WAIT_SECONDS} s: "
            f"start workers with `dask worker {address}`"
        ) from None
    ours = course_identity()
    for worker, facts in sorted(client.run(_worker_facts).items()):
        if facts["course"] != ours:
            raise GradingError(
                f"the Dask worker {worker} has another version of the course installed than "
                "this machine, so it could grade differently: install the same commit on every "
                "worker (pip install -r requirements.txt in a checkout of it)"
            )
        if sandbox and facts["sandbox"]:
            raise GradingError(
                f"the Dask worker {worker} cannot sandbox submissions: {facts['sandbox']}. "
                f"On that machine, {INSTALL_HINT}"
            )
    if resources:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        if not any(_offers(w, resources) for w in workers):
            wanted = " ".join(f"{k}={v:g}" for k, v in resources.items())
            raise GradingError(
                f"no Dask worker offers {wanted}: start workers with "
                f"`dask worker {address} --resources {wanted}` (one per GPU machine)"
            )


def _offers(worker: dict, resources: dict[str, float]) -> bool:
    """Does a worker (as the scheduler describes it) have every resource asked for?"""
    offered = worker.get("resources") or {}
    return all(offered.get(name, 0) >= amount for name, amount in resources.items())


def _run_on_worker(
    run: Run, files: dict[str, bytes], hide: tuple[Path, ...], sandboxed: bool
) -> tuple[RunResult, bytes]:
    """What a worker does with one submission: the same sandbox, with its own paths and cores."""
    from distributed import get_worker

    if sandboxed and (problem := isolation_problem()):
        raise RuntimeError(f"this Dask worker cannot sandbox submissions: {problem}")
    readonly, hidden = sandbox_paths()
    own = private_folders(REPO_ROOT, default_cache())
    isolation = Sandbox(sandboxed, readonly, (*hidden, *own, *hide))
    if not run.limits.threads:  # the worker's cores, shared by the submissions it runs at once
        threads = max(1, (os.cpu_count() or 1) // get_worker().state.nthreads)
        run = dataclasses.replace(run, limits=dataclasses.replace(run.limits, threads=threads))
    return run_one(run, files, isolation, Path(tempfile.gettempdir()) / "autograder-runs")


def _given(files: dict[str, bytes]) -> dict[str, bytes]:
    return files


def _died(submission: Submission, exc: Exception) -> Outcome:
    last = getattr(exc, "last_worker", None)
    where = f" (the last was {getattr(last, 'address', last)})" if last else ""
    return Outcome(
        submission.student_id,
        submission.assignment_id,
        "crashed",
        f"the Dask worker running it died, and so did the one it was retried on{where}: "
        "it was not graded; grade it again (the machine may have run out of memory or been stopped)",
    )


def execute(
    client: Client,
    course: Course,
    submissions: list[Submission],
    limits: Limits,
    work_root: Path,
    sandbox: Sandbox,
    *,
    resources: dict[str, float] | None = None,
) -> Iterator[tuple[Submission, Outcome]]:
    """Runs ``submissions`` on the cluster in the order given; yields each row as it is done.

    Each submission goes to a worker thread that is free, never into a queue behind another:
    so a worker's death hits only the one it was running, which is sent again once (a second
    death makes it crashed), and a class of thousands is never all in memory at once. The next
    one is sent before a finished one is handed back for scoring, so no worker waits on the
    gradebook. Each outcome is recorded in ``work_root`` exactly as on one machine.
    """
    distributed = _distributed()
    files: dict[str, object] = {}  # assignment -> its starting files, as a task's result
    queue = iter(submissions)
    retry: deque[tuple[Submission, Run]] = deque()
    running = distributed.as_completed()
    owner: dict[object, tuple[Submission, Run, str]] = {}  # future -> what and where
    deaths: Counter[Submission] = Counter()  # workers that died running each submission
    exhausted = False

    def starting_files(assignment_id: str) -> object:
        # A task that returns them rather than scattered data: when the workers holding them
        # die, the scheduler computes them again from the task, which it keeps.
        if assignment_id not in files:
            with warnings.catch_warnings():  # the bytes are the point (held-out images, ~12 MB)
                warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
                files[assignment_id] = client.submit(
                    _given,
                    course.workdir_files(assignment_id),
                    key=f"files-{assignment_id}-{uuid.uuid4().hex[:8]}",
                )
        return files[assignment_id]

    def free_threads() -> list[str]:
        """One worker address per thread that runs nothing of ours (with ``resources``)."""
        busy = Counter(where for _, _, where in owner.values())
        free = []
        for address, worker in client.scheduler_info(n_workers=-1)["workers"].items():
            if _offers(worker, resources or {}):
                free += [address] * (worker["nthreads"] - busy[address])
        return free

    def fill() -> list[tuple[Submission, Outcome]]:
        """Gives every free thread a submission; returns the rows of those with nothing to run."""
        nonlocal exhausted
        rows = []
        threads = free_threads()
        while threads and (retry or not exhausted):
            if retry:
                submission, run = retry.popleft()
            elif (submission := next(queue, None)) is None:
                exhausted = True
                break
            else:
                try:
                    run = prepare_one(course, submission, limits)
                except Exception as exc:  # one submission never aborts the batch
                    run = crashed(submission, "running it", exc)
                if isinstance(run, Outcome):
                    rows.append((submission, run))
                    continue
            where = threads.pop()
            future = client.submit(
                _run_on_worker,
                run,
                starting_files(run.assignment_id),
                sandbox.hide,
                sandbox.enabled,
                key=f"grade-{run.student_id}-{run.assignment_id}-{uuid.uuid4().hex[:8]}",
                workers=[where],
                allow_other_workers=True,  # if that worker is gone before it starts
                resources=resources or None,
                pure=False,
            )
            owner[future] = (submission, run, where)
            running.add(future)
        return rows

    yield from fill()
    while owner or retry or not exhausted:
        if not owner:  # no free thread right now: every worker is gone or restarting
            client.wait_for_workers(1)
            time.sleep(_POLL_SECONDS)
            yield from fill()
            continue
        future = running.next()
        submission, run, _ = owner.pop(future)
        try:
            result, log = future.result()
            outcome = record_run(run, result, log, work_root)
        except distributed.KilledWorker as exc:
            deaths[submission] += 1
            if deaths[submission] < 2:
                retry.append((submission, run))  # not the student's doing: once more
                future.release()
                yield from fill()
                continue
            outcome = _died(submission, exc)
        except Exception as exc:  # one submission never aborts the batch
            outcome = crashed(submission, "running it", exc)
        future.release()
        rows = fill()
        yield submission, outcome
        yield from rows
