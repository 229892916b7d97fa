"""Grading a class: robust, parallel, and scored by nbgrader under the evidence protocol.

The pipeline, one module a step, in order:

1. :mod:`autograder.submissions` reads the submissions (a folder, a zip, or nbgrader's
   ``submitted/`` layout), never writing to them; ``--shard K/N`` keeps a deterministic share
   of the students.
2. :mod:`autograder.preparation` lays out an nbgrader course in ``OUT/course``, registers the
   assignments the class handed in in ``OUT/gradebook.db`` and builds their reference evidence,
   or finds it in the reference cache.
3. :mod:`autograder.execution` validates each submission, rebuilds it around the source notebook
   and runs it in its own bubblewrap sandbox under limits, ``jobs`` at a time, or on a Dask
   cluster (``scheduler``, :mod:`autograder.cluster`), where only the sandboxed run leaves this
   machine. Any failure while preparing, running or scoring one submission becomes that
   student's row.
4. :mod:`autograder.scoring` (one at a time: the gradebook has one writer) hands the executed
   notebook to nbgrader's autograde, which checks the evidence and scores it.
5. :mod:`autograder.export` writes the HTML feedback and the CSV files;
   :mod:`autograder.merge` combines the outputs of sharded runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from autograder.course import REPO_ROOT, assignment_ids, source_notebook
from autograder.execution import Sandbox, execute_here, private_folders, sandbox_paths
from autograder.export import export, output_folder
from autograder.preparation import Course, prepare_course
from autograder.sandbox import (
    INSTALL_HINT,
    Limits,
    isolation_problem,
    remove_tree,
)
from autograder.scoring import max_scores, score_and_report
from autograder.submissions import (
    GradingError,
    Outcome,
    Submission,
    find_submissions,
    handed_in,
    in_shard,
    open_submissions,
)

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["grade"]


def grade(
    submissions: Path,
    out: Path,
    *,
    assignments: list[str] | None = None,
    root: Path = REPO_ROOT,
    jobs: int | None = None,
    limits: Limits | None = None,
    shard: tuple[int, int] | None = None,
    reference_dir: Path | None = None,
    progress: bool = False,
    sandbox: bool = True,
    show_hidden_tests: bool = False,
    scheduler: str | None = None,
    resources: dict[str, float] | None = None,
) -> list[Outcome]:
    """Grades every submission in ``submissions`` into ``out`` (see the module docstring).

    ``sandbox=False`` runs submissions without bubblewrap, for trusted work only; otherwise a
    machine that cannot sandbox them is a :class:`GradingError` before anything runs.
    ``show_hidden_tests`` keeps the hidden tests' source in the HTML feedback. ``scheduler``
    (``local:N`` or a Dask scheduler's address) runs the submissions on a Dask cluster, each
    asking a worker for ``resources`` (e.g. ``{"GPU": 1}``); see :mod:`autograder.cluster`.
    """
    limits = limits or Limits()
    out = _checked_request(submissions, out, assignments, root, sandbox, scheduler)
    ids, found = _submissions_to_grade(submissions, out, assignments, root, shard)
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=1) as starter:
        here = True  # do the submissions share this machine's cores?
        if scheduler:
            here, jobs, starting = _start_cluster(
                stack, starter, scheduler, jobs, sandbox=sandbox, resources=resources
            )
        jobs = jobs or os.cpu_count() or 1
        if here:  # parallel submissions share the cores; a remote worker shares its own
            threads = limits.threads or max(1, (os.cpu_count() or 1) // jobs)
            limits = dataclasses.replace(limits, threads=threads)
        course = prepare_course(
            out, ids, root, reference_dir, show_hidden_tests=show_hidden_tests, limits=limits,
            jobs=jobs,
        )  # fmt: skip
        client = starting.result() if scheduler else None
        readonly, hidden = sandbox_paths()
        private = private_folders(root, out, submissions.resolve(), course.reference_dir.resolve())
        isolation = Sandbox(sandbox, readonly, (*hidden, *private))
        work_root = out / "work"
        executed = _execute(course, found, limits, work_root, isolation, jobs, client, resources)
        outcomes = [
            score_and_report(course, submission, outcome, work_root, out)
            for submission, outcome in tqdm(
                executed, total=len(found), desc="grading", unit="notebook", disable=not progress
            )
        ]
    remove_tree(out / ".sandbox")
    max_scores(course, [o for o in outcomes if not o.cells])
    export(outcomes, out)
    return sorted(outcomes, key=lambda o: (o.student_id, o.assignment_id))


def _checked_request(
    submissions: Path,
    out: Path,
    assignments: list[str] | None,
    root: Path,
    sandbox: bool,
    scheduler: str | None,
) -> Path:
    """The output folder, once the instructor's request is known to be one that can run.

    Raises:
        GradingError: ``submissions`` does not exist, or this machine cannot sandbox them (and
            ``sandbox`` is True, with no ``scheduler`` whose workers run them instead).
    """
    for assignment_id in assignments or []:
        source_notebook(assignment_id, root)  # unknown ids fail before any work
    out = output_folder(out)
    if not submissions.exists():
        raise GradingError(f"submissions {submissions} does not exist")
    if sandbox and not scheduler and (problem := isolation_problem()):
        raise GradingError(
            f"submissions cannot be sandboxed here: {problem}. To grade, {INSTALL_HINT}; "
            "--no-sandbox runs submissions unconfined (trusted submissions only)"
        )
    return out


def _submissions_to_grade(
    submissions: Path,
    out: Path,
    assignments: list[str] | None,
    root: Path,
    shard: tuple[int, int] | None,
) -> tuple[list[str], list[Submission]]:
    """The assignments to grade and their submissions (this shard's students only, if any)."""
    folder, problems = open_submissions(submissions.resolve(), out / ".submissions")
    # Only what the class handed in: no reference runs and no "missing" rows for the rest.
    ids = assignments or handed_in(folder, assignment_ids(root))
    found = find_submissions(folder, ids, problems)
    if shard:
        found = [s for s in found if in_shard(s.student_id, shard)]
    return ids, found


def _start_cluster(
    stack: contextlib.ExitStack,
    starter: ThreadPoolExecutor,
    scheduler: str,
    jobs: int | None,
    *,
    sandbox: bool,
    resources: dict[str, float] | None,
) -> tuple[bool, int | None, Future[Client]]:
    """Starts connecting to ``scheduler`` in ``starter``, the session closed with ``stack``.

    Returns whether the workers share this machine's cores (``local:N``), the jobs (N for
    ``local:N``), and the client to come.
    """
    from autograder import cluster

    workers = cluster.local_workers(scheduler)  # None: a scheduler elsewhere
    here, jobs = workers is not None, workers or jobs
    # The cluster starts (and its workers are checked) while the course is prepared.
    session = cluster.session(scheduler, sandbox=sandbox, resources=resources or {})
    return here, jobs, starter.submit(stack.enter_context, session)


def _execute(
    course: Course,
    found: list[Submission],
    limits: Limits,
    work_root: Path,
    isolation: Sandbox,
    jobs: int,
    client: Client | None,
    resources: dict[str, float] | None,
) -> Iterator[tuple[Submission, Outcome]]:
    """Runs ``found``, the longest notebooks first, here or on the cluster of ``client``."""
    # The longest notebooks first (by their reference run), so that no long one starts last
    # and runs alone while the other cores wait.
    found.sort(key=lambda s: -sum(course.reference_seconds.get(s.assignment_id, {}).values()))
    if client is None:
        return execute_here(course, found, limits, work_root, isolation, jobs)
    from autograder import cluster

    return cluster.execute(client, course, found, limits, work_root, isolation, resources=resources)
