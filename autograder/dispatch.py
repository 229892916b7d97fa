"""What :func:`autograder.cluster.execute` does with each submission on a Dask cluster.

:class:`Dispatch` keeps the books of one run: which submission runs on which worker thread,
which wait to be sent again after a worker's death, and each assignment's starting files as a
task of their own. :func:`_run_on_worker` is what a worker runs for one submission.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Iterator
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
from autograder.sandbox import Limits, RunResult, isolation_problem
from autograder.submissions import Outcome, Submission

if TYPE_CHECKING:
    from distributed import Client, Future, as_completed

__all__ = ["Dispatch", "offers"]


def offers(worker: dict, resources: dict[str, float]) -> bool:
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


@dataclasses.dataclass
class Dispatch:
    """The books of one :func:`autograder.cluster.execute`: what runs where, what is sent again.

    ``queue`` gives the submissions in order; ``running`` is Dask's ``as_completed`` of the
    futures sent, and ``killed`` Dask's ``KilledWorker``, the error of a future whose worker died.
    """

    client: Client
    course: Course
    limits: Limits
    work_root: Path
    sandbox: Sandbox
    resources: dict[str, float] | None
    queue: Iterator[Submission]
    running: as_completed
    killed: type[Exception]
    # assignment -> its starting files, as a task's result
    files: dict[str, object] = dataclasses.field(default_factory=dict)
    retry: deque[tuple[Submission, Run]] = dataclasses.field(default_factory=deque)
    # future -> what and where
    owner: dict[object, tuple[Submission, Run, str]] = dataclasses.field(default_factory=dict)
    # workers that died running each submission
    deaths: Counter[Submission] = dataclasses.field(default_factory=Counter)
    exhausted: bool = False  # the queue has given its last submission

    def starting_files(self, assignment_id: str) -> object:
        """The task that gives an assignment's starting files, submitted once."""
        # A task that returns them rather than scattered data: when the workers holding them
        # die, the scheduler computes them again from the task, which it keeps.
        if assignment_id not in self.files:
            with warnings.catch_warnings():  # the bytes are the point (held-out images, ~12 MB)
                warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
                self.files[assignment_id] = self.client.submit(
                    _given,
                    self.course.workdir_files(assignment_id),
                    key=f"files-{assignment_id}-{uuid.uuid4().hex[:8]}",
                )
        return self.files[assignment_id]

    def free_threads(self) -> list[str]:
        """One worker address per thread that runs nothing of ours (with ``resources``)."""
        busy = Counter(where for _, _, where in self.owner.values())
        free = []
        for address, worker in self.client.scheduler_info(n_workers=-1)["workers"].items():
            if offers(worker, self.resources or {}):
                free += [address] * (worker["nthreads"] - busy[address])
        return free

    def fill(self) -> list[tuple[Submission, Outcome]]:
        """Gives every free thread a submission; returns the rows of those with nothing to run."""
        rows = []
        threads = self.free_threads()
        while threads and (self.retry or not self.exhausted):
            if self.retry:
                submission, run = self.retry.popleft()
            elif (submission := next(self.queue, None)) is None:
                self.exhausted = True
                break
            else:
                try:
                    run = prepare_one(self.course, submission, self.limits)
                except Exception as exc:  # one submission never aborts the batch
                    run = crashed(submission, "running it", exc)
                if isinstance(run, Outcome):
                    rows.append((submission, run))
                    continue
            self.send(submission, run, threads.pop())
        return rows

    def send(self, submission: Submission, run: Run, where: str) -> None:
        """Runs ``run`` on a thread of the worker at address ``where``."""
        future = self.client.submit(
            _run_on_worker,
            run,
            self.starting_files(run.assignment_id),
            self.sandbox.hide,
            self.sandbox.enabled,
            key=f"grade-{run.student_id}-{run.assignment_id}-{uuid.uuid4().hex[:8]}",
            workers=[where],
            allow_other_workers=True,  # if that worker is gone before it starts
            resources=self.resources or None,
            pure=False,
        )
        self.owner[future] = (submission, run, where)
        self.running.add(future)

    def collect(self, future: Future) -> tuple[Submission, Outcome | None]:
        """A finished future's submission and row, recorded in ``work_root``; None: sent again."""
        submission, run, _ = self.owner.pop(future)
        try:
            result, log = future.result()
            return submission, record_run(run, result, log, self.work_root)
        except self.killed as exc:
            self.deaths[submission] += 1
            if self.deaths[submission] < 2:
                self.retry.append((submission, run))  # not the student's doing: once more
                return submission, None
            return submission, _died(submission, exc)
        except Exception as exc:  # one submission never aborts the batch
            return submission, crashed(submission, "running it", exc)
