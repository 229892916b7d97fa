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
:class:`autograder.dispatch.Dispatch` keeps the books: what runs where, and what is sent again.

Dask is an optional extra: ``pip install -r requirements-cluster.txt``.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.dispatch import Dispatch, offers
from autograder.execution import Sandbox
from autograder.preparation import Course
from autograder.sandbox import INSTALL_HINT, Limits, isolation_problem
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
        if not any(offers(w, resources) for w in workers):
            wanted = " ".join(f"{k}={v:g}" for k, v in resources.items())
            raise GradingError(
                f"no Dask worker offers {wanted}: start workers with "
                f"`dask worker {address} --resources {wanted}` (one per GPU machine)"
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
    dispatch = Dispatch(
        client, course, limits, work_root, sandbox, resources, iter(submissions),
        distributed.as_completed(), distributed.KilledWorker,
    )  # fmt: skip
    yield from dispatch.fill()
    while dispatch.owner or dispatch.retry or not dispatch.exhausted:
        if not dispatch.owner:  # no free thread right now: every worker is gone or restarting
            client.wait_for_workers(1)
            time.sleep(_POLL_SECONDS)
            yield from dispatch.fill()
            continue
        future = dispatch.running.next()
        submission, outcome = dispatch.collect(future)
        future.release()
        rows = dispatch.fill()
        if outcome is not None:  # None: a worker died running it, and it was sent again
            yield submission, outcome
        yield from rows
