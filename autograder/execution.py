"""Running one submission: validated, rebuilt around the source notebook
(:func:`course_utils.cells.canonicalize`) and executed in its own bubblewrap sandbox under
limits (:mod:`autograder.sandbox`). :func:`run_one` is the part that may run on another machine
(:mod:`autograder.cluster`); here ``jobs`` run at once (:func:`execute_here`). Any failure with
one submission becomes that student's row (:func:`crashed`).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import heldout
from autograder.preparation import Course, time_limits
from autograder.sandbox import (
    Limits,
    RunResult,
    read_regular_file,
    remove_tree,
    run_isolated,
)
from autograder.submissions import Outcome, Submission, read_submission
from course_utils.cells import canonicalize

_log = logging.getLogger("autograder")

__all__ = [
    "execute_here",
    "Run",
    "Sandbox",
    "crashed",
    "execute_one",
    "prepare_one",
    "private_folders",
    "record_run",
    "run_one",
    "sandbox_paths",
]


_RUN_STATUS = {"ok": "graded", "timeout": "timeout", "crashed": "crashed"}


@dataclass(frozen=True)
class Sandbox:
    """How submissions run: in bubblewrap (``enabled``), seeing ``readonly`` minus ``hide``."""

    enabled: bool = True
    readonly: tuple[Path, ...] = ()
    hide: tuple[Path, ...] = ()


def sandbox_paths() -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """What a submission may read besides the system and Python, and what inside it stays hidden.

    It reads the course's helper packages and the bundled data; the demo assignment's solution,
    which ships inside the autograder package, stays hidden.
    """
    import autograder
    import course_utils
    from course_utils.data import bundled_path

    packages = [Path(m.__file__).resolve().parent for m in (course_utils, autograder)]
    readonly = (*packages, bundled_path().parent.resolve())
    return readonly, (packages[1] / "demo",)


@dataclass(frozen=True)
class Run:
    """One submission ready to run on any machine: its rebuilt notebook and limits, no path."""

    student_id: str
    assignment_id: str
    notebook: nbformat.NotebookNode  # the submission rebuilt around the source notebook
    limits: Limits  # with the notebook's time limit set
    cell_limits: tuple[int, ...]  # each cell's time limit in seconds, in cell order
    notes: tuple[str, ...] = ()  # what rebuilding it changed, for the student's row


def prepare_one(course: Course, submission: Submission, limits: Limits) -> Run | Outcome:
    """The submission validated and rebuilt, ready to run; or its row, if there is nothing to run."""
    outcome = Outcome(submission.student_id, submission.assignment_id, status="missing")
    if submission.invalid:
        outcome.status, outcome.message = "invalid", submission.invalid
        return outcome
    if submission.path is None:
        outcome.message = submission.note or f"no {submission.assignment_id}.ipynb was handed in"
        return outcome
    nb, problem = read_submission(submission.path)
    if nb is None:
        outcome.status, outcome.message = "invalid", problem
        return outcome
    canonical, notes = canonicalize(nb, course.source(submission.assignment_id))
    limits, cell_limits = time_limits(
        canonical, course.reference_seconds.get(submission.assignment_id, {}), limits
    )
    return Run(submission.student_id, submission.assignment_id, canonical, limits,
               tuple(cell_limits), tuple(notes))  # fmt: skip


def run_one(
    run: Run, files: dict[str, bytes], sandbox: Sandbox, scratch_root: Path
) -> tuple[RunResult, bytes]:
    """Runs a prepared submission in a fresh folder under ``scratch_root``, deleted afterwards.

    ``files`` is what the folder starts with (:meth:`Course.workdir_files`). Returns how the run
    ended and the executor's log. Nothing here reads the grader's state, so it can run on a
    Dask worker (:mod:`autograder.cluster`).
    """
    scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{run.student_id}-", dir=scratch_root))
    log = scratch.with_suffix(".log")  # beside the working folder: the sandbox never sees it
    try:
        heldout.write_workdir(files, scratch)
        result = run_isolated(
            run.notebook,
            scratch,
            log,
            run.limits,
            cell_limits=run.cell_limits,
            readonly=sandbox.readonly,
            hide=sandbox.hide,
            sandbox=sandbox.enabled,
        )
        return result, read_regular_file(log, 2**20) or b""
    finally:
        remove_tree(scratch)
        log.unlink(missing_ok=True)


def record_run(run: Run, result: RunResult, log: bytes, work_root: Path) -> Outcome:
    """The row of a submission that ran, and what the grader keeps of the run in
    ``work_root/<student>/<assignment>``: the executed notebook, ``outcome.json`` and the log."""
    state = work_root / run.student_id / run.assignment_id
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    (state / "executor.log").write_bytes(log)
    if result.notebook is not None:
        nbformat.write(result.notebook, state / "executed.ipynb")
    status = _RUN_STATUS[result.status] if result.notebook is not None else "crashed"
    message = "; ".join(m for m in [result.message, *run.notes] if m)
    # What the run said, before scoring: merge re-scores shards from this and executed.ipynb.
    (state / "outcome.json").write_text(json.dumps({"status": status, "message": message}))
    return Outcome(run.student_id, run.assignment_id, status, message)


def execute_one(
    course: Course, submission: Submission, limits: Limits, work_root: Path, sandbox: Sandbox
) -> Outcome:
    """Validates, rebuilds and runs one submission on this machine (the three steps above).

    Its scratch folder lies in ``work_root``'s parent; what the grader keeps goes to
    ``work_root/<student>/<assignment>``, which the sandbox never sees.
    """
    run = prepare_one(course, submission, limits)
    if isinstance(run, Outcome):
        return run
    files = course.workdir_files(run.assignment_id)
    result, log = run_one(run, files, sandbox, work_root.parent / ".sandbox")
    return record_run(run, result, log, work_root)


def private_folders(root: Path, *others: Path) -> list[Path]:
    """What a student's code must not read: the course's solutions, tests, history and grading
    state, and ``others`` (the output folder, the submissions, the reference evidence)."""
    return [root / "solutions", root / "tests", root / ".git", root / ".autograder", *others]


def crashed(submission: Submission | Outcome, step: str, exc: Exception) -> Outcome:
    """The row of a submission whose grading failed on the grader's side: the batch goes on."""
    _log.exception(
        "grading %s/%s failed while %s", submission.student_id, submission.assignment_id, step
    )
    reason = f"the grader failed while {step} ({type(exc).__name__}: {str(exc)[:200]})"
    return Outcome(submission.student_id, submission.assignment_id, "crashed", reason)


def _execute_safely(course: Course, submission: Submission, limits: Limits, work_root: Path,
                    sandbox: Sandbox) -> Outcome:  # fmt: skip
    try:
        return execute_one(course, submission, limits, work_root, sandbox)
    except Exception as exc:  # one submission never aborts the batch
        return crashed(submission, "running it", exc)


def execute_here(
    course: Course, found: list[Submission], limits: Limits, work_root: Path, sandbox: Sandbox,
    jobs: int,
) -> Iterator[tuple[Submission, Outcome]]:  # fmt: skip
    """Runs the submissions on this machine, ``jobs`` at a time; yields each row as it is done."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(_execute_safely, course, s, limits, work_root, sandbox): s for s in found
        }
        for future in as_completed(futures):
            yield futures[future], future.result()
