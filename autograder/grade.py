"""Grading a class: robust, parallel, and scored by nbgrader under the evidence protocol.

The pipeline, one small step each:

1. :func:`open_submissions` and :func:`find_submissions` read the submissions (a folder, a zip,
   or nbgrader's ``submitted/`` layout), never writing to them; ``--shard K/N`` keeps a
   deterministic share of the students.
2. :func:`prepare_course` lays out an nbgrader course in ``OUT/course``, registers the
   assignments the class handed in (:func:`handed_in`) in ``OUT/gradebook.db`` and builds their
   reference evidence, or finds it in the reference cache.
3. :func:`prepare_one` validates a submission and rebuilds it around the source notebook
   (:mod:`course_utils.cells`); :func:`run_one` runs it in its own bubblewrap sandbox with
   time, memory, process, file and output limits (:mod:`autograder.sandbox`); :func:`record_run`
   keeps what ran. Here ``jobs`` at a time (:func:`execute_one`), or on a Dask cluster
   (``scheduler``, :mod:`autograder.cluster`), where only :func:`run_one` leaves this machine.
   Any failure while preparing, running or scoring one submission becomes that student's row.
4. :func:`score_one` (one at a time: the gradebook has one writer) hands the executed notebook
   to nbgrader's autograde, which checks the evidence and scores it.
5. :func:`write_feedback` and :func:`export` write HTML feedback and the CSV files.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from tqdm.auto import tqdm

from autograder import heldout
from autograder.course import REPO_ROOT, assignment_ids, ensure_scripts_on_path, source_notebook
from autograder.evidence import first_error
from autograder.evidence import grade_id as cell_id
from autograder.feedback import awaits_grading
from autograder.nbgrader_config import course_config
from autograder.reference import build_reference, default_cache, reference_seconds
from autograder.sandbox import (
    CELL_FACTOR,
    CELL_FLOOR,
    INSTALL_HINT,
    NOTEBOOK_FACTOR,
    NOTEBOOK_FLOOR,
    REFERENCE_CELL_SECONDS,
    Limits,
    RunResult,
    isolation_problem,
    read_regular_file,
    remove_tree,
    run_isolated,
)
from course_utils.cells import canonicalize

__all__ = [
    "GRADE_FIELDS",
    "SCORE_FIELDS",
    "Course",
    "GradingError",
    "Outcome",
    "Run",
    "Sandbox",
    "Submission",
    "crashed",
    "execute_one",
    "export",
    "find_submissions",
    "grade",
    "handed_in",
    "in_shard",
    "merge",
    "open_submissions",
    "prepare_course",
    "prepare_one",
    "private_folders",
    "read_submission",
    "record_run",
    "run_one",
    "score_one",
    "sandbox_paths",
    "summary",
    "time_limits",
    "write_feedback",
]

_log = logging.getLogger("autograder")

GRADE_FIELDS = ("student_id", "assignment_id", "score", "max_score", "status", "message")
SCORE_FIELDS = ("student_id", "assignment_id", "grade_id", "score", "max_score", "message")
_RUN_STATUS = {"ok": "graded", "timeout": "timeout", "crashed": "crashed"}
# A handed-in file larger than this is refused before it is parsed.
_MAX_SUBMISSION_BYTES = 256 * 2**20
# What ``nbgrader submit`` writes beside the notebook, kept with the scores: the submission
# time (for late penalties) and the secret that ``nbgrader release_feedback`` names the feedback
# file after, so that only the student who submitted finds it with ``nbgrader fetch_feedback``.
_NBGRADER_SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


class GradingError(RuntimeError):
    """An instructor-side problem: the message says what to fix."""


@dataclass(frozen=True)
class Submission:
    """One student's notebook for one assignment (``path`` None when nothing usable was found)."""

    student_id: str
    assignment_id: str
    path: Path | None
    note: str = ""  # why path is None, when something else was found
    invalid: str = ""  # why the student's hand-in cannot be graded at all (e.g. an unsafe zip)


@dataclass
class Outcome:
    """What grading one submission produced (one row of grades.csv)."""

    student_id: str
    assignment_id: str
    status: str  # graded | timeout | crashed | invalid | missing
    message: str = ""
    score: float = 0.0
    max_score: float = 0.0
    cells: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Course:
    """An nbgrader course laid out for one grading run."""

    root: Path
    db_path: Path
    reference_dir: Path
    # orders the held-out sets and renders the capstone's (autograder.heldout)
    heldout_seed: int = 0
    # the HTML feedback keeps the hidden tests' source (an instructor's choice; off by default)
    show_hidden_tests: bool = False
    # how long each cell of each assignment's reference run took: assignment -> grade_id -> s
    reference_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    _files: dict[str, dict[str, bytes]] = field(default_factory=dict, repr=False, compare=False)

    def api(self, *, execute: bool = False) -> NbGraderAPI:
        ensure_scripts_on_path()
        config = course_config(
            reference_directory=str(self.reference_dir),
            execute=execute,
            show_hidden_tests=self.show_hidden_tests,
        )
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.source_directory = "source"
        config.CourseDirectory.release_directory = "release"
        config.CourseDirectory.db_url = f"sqlite:///{self.db_path}"
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def source(self, assignment_id: str) -> nbformat.NotebookNode:
        """The assignment's source notebook, as registered for this run."""
        path = self.root / "source" / assignment_id / f"{assignment_id}.ipynb"
        return nbformat.read(path, as_version=4)

    def workdir_files(self, assignment_id: str) -> dict[str, bytes]:
        """What every run of the assignment starts with (:func:`autograder.heldout.workdir_files`),
        built once per grading run."""
        if assignment_id not in self._files:
            folder = self.root / "source" / assignment_id
            self._files[assignment_id] = heldout.workdir_files(
                folder, self.source(assignment_id), self.heldout_seed
            )
        return self._files[assignment_id]


# --- 1. reading submissions ------------------------------------------------------------------


def _extract(archive: Path, dest: Path) -> list[tuple[PurePosixPath, str]]:
    """Extracts the safe members of a zip; returns the others, each with why it was skipped."""
    skipped = []
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            name = PurePosixPath(member.filename)
            target = (dest / member.filename).resolve()
            if (
                name.is_absolute()
                or ".." in name.parts
                or not target.is_relative_to(dest.resolve())
            ):
                skipped.append((name, f"the zip holds an unsafe path ({member.filename})"))
            elif member.file_size > _MAX_SUBMISSION_BYTES:
                skipped.append(
                    (name, f"{member.filename} is larger than {_MAX_SUBMISSION_BYTES // 2**20} MiB")
                )
            else:
                zf.extract(member, dest)
    return skipped


def open_submissions(path: Path, scratch: Path) -> tuple[Path, dict[str, str]]:
    """The folder holding one subfolder per student, and the students whose hand-in is unusable.

    ``path`` is that folder itself or a zip, extracted to ``scratch``. A zip member with an unsafe
    path (``s002/../../x.ipynb``) or an outsized one is skipped and makes its student invalid;
    one that names no student is skipped with a logged warning.
    """
    skipped: list[tuple[PurePosixPath, str]] = []
    if path.is_file() and zipfile.is_zipfile(path):
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        skipped = _extract(path, scratch)
        path = scratch
        entries = [p for p in path.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        while len(entries) == 1 and entries[0].is_dir() and not any(entries[0].glob("*.ipynb")):
            path = entries[0]  # a zip of the folder rather than of its contents
            entries = [p for p in path.iterdir() if not p.name.startswith(".")]
    if not path.is_dir():
        raise GradingError(f"submissions {path} is neither a folder nor a zip file")
    folder = path / "submitted" if (path / "submitted").is_dir() else path
    prefix = folder.relative_to(scratch).parts if folder.is_relative_to(scratch) else ()
    problems: dict[str, str] = {}
    for name, reason in skipped:
        parts = name.parts[len(prefix) :] if name.parts[: len(prefix)] == prefix else ()
        if len(parts) > 1 and parts[0] not in ("..", "."):
            problems.setdefault(parts[0], reason)
        else:
            _log.warning("skipped %s: it belongs to no student folder", reason)
    return folder, problems


def _inside(path: Path, folder: Path) -> bool:
    """Is ``path`` really inside ``folder``, with no symbolic link on the way?"""
    return not any(
        p.is_symlink() for p in [path, *path.parents] if p.is_relative_to(folder) and p != folder
    )


def _notebooks(home: Path) -> list[Path]:
    """Every notebook below a student's folder, Jupyter's checkpoints aside."""
    return sorted(p for p in home.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _student_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _handed_in_path(home: Path, assignment_id: str) -> Path | None:
    """``<student>/<assignment>.ipynb`` or, in nbgrader's layout, ``<student>/<assignment>/<assignment>.ipynb``."""
    candidates = [home / f"{assignment_id}.ipynb", home / assignment_id / f"{assignment_id}.ipynb"]
    return next((p for p in candidates if p.is_file() or p.is_symlink()), None)


def handed_in(folder: Path, assignments: Iterable[str]) -> list[str]:
    """The assignments, in course order, that at least one student of ``folder`` handed in.

    Raises:
        GradingError: nobody handed in any of them; the message lists the notebooks found.
    """
    homes = _student_folders(folder)
    ids = [a for a in assignments if any(_handed_in_path(h, a) for h in homes)]
    if not ids:
        found = [p.relative_to(folder).as_posix() for h in homes for p in _notebooks(h)]
        raise GradingError(
            f"{folder} holds no notebook named after an assignment of the course "
            f"({', '.join(assignments)}), expected <student_id>/<assignment>.ipynb"
            + (f"; found {', '.join(found[:5])}{' ...' if len(found) > 5 else ''}" if found else "")
            + ". Rename the notebooks, or name the assignment with --assignment to grade them as missing"
        )
    return ids


def find_submissions(
    folder: Path, assignments: Iterable[str], problems: dict[str, str] | None = None
) -> list[Submission]:
    """Every (student, assignment) pair in ``folder``, missing ones included.

    A student's notebook is ``<student>/<assignment>.ipynb`` or, in nbgrader's layout,
    ``<student>/<assignment>/<assignment>.ipynb``. ``problems`` (from :func:`open_submissions`)
    makes every assignment of those students invalid, with the reason.
    """
    problems = problems or {}
    students = sorted({p.name for p in _student_folders(folder)} | set(problems))
    if not students:
        raise GradingError(
            f"{folder} holds no student folders (expected <student_id>/<assignment>.ipynb)"
        )
    found = []
    for student_id in students:
        home = folder / student_id
        for assignment_id in assignments:
            if student_id in problems:
                found.append(
                    Submission(student_id, assignment_id, None, invalid=problems[student_id])
                )
                continue
            path = _handed_in_path(home, assignment_id)
            note = invalid = ""
            if path is not None and not _inside(path, folder):
                invalid = f"{path.relative_to(folder)} is a symbolic link: hand in the notebook file itself"
                path = None
            elif path is None:
                others = [p.relative_to(home).as_posix() for p in _notebooks(home)]
                if others:
                    note = f"found {', '.join(others)} but not {assignment_id}.ipynb (notebooks must keep their released names)"
            found.append(Submission(student_id, assignment_id, path, note, invalid))
    return found


def in_shard(student_id: str, shard: tuple[int, int]) -> bool:
    """Whether a student belongs to shard K of N (1-based), by a hash that is the same everywhere."""
    k, n = shard
    return int(hashlib.sha256(student_id.encode()).hexdigest(), 16) % n == k - 1


# --- 2. the course ---------------------------------------------------------------------------


def prepare_course(
    out: Path,
    assignments: Iterable[str],
    root: Path = REPO_ROOT,
    reference_dir: Path | None = None,
    *,
    show_hidden_tests: bool = False,
    limits: Limits | None = None,
    jobs: int = 1,
) -> Course:
    """Creates ``out/course`` and ``out/gradebook.db`` for the given assignments.

    Reference evidence goes to ``reference_dir`` (default :func:`autograder.reference.default_cache`);
    files there are reused while their fingerprint is current. The reference runs, ``jobs`` at a
    time, under the cell limit and with the threads of ``limits``, like submissions.

    Raises:
        EvidenceError: a reference solution fails (the first in course order, if several do).
    """
    reference_dir = reference_dir or default_cache()
    limits = limits or Limits()
    course = Course(
        root=out / "course",
        db_path=out / "gradebook.db",
        reference_dir=reference_dir,
        heldout_seed=heldout.course_seed(reference_dir),
        show_hidden_tests=show_hidden_tests,
    )
    api = course.api()
    sources = {}
    for assignment_id in assignments:  # one at a time: the gradebook has one writer
        source = source_notebook(assignment_id, root)
        target = course.root / "source" / assignment_id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source.parent, target)
        result = api.generate_assignment(assignment_id)
        if not result["success"]:
            raise GradingError(
                f"nbgrader could not register {assignment_id}:\n{result.get('error') or result.get('log')}"
            )
        sources[assignment_id] = target / source.name
    build = functools.partial(
        build_reference,
        out_dir=course.reference_dir,
        timeout=limits.cell_seconds or REFERENCE_CELL_SECONDS,
        threads=limits.threads,
    )
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:  # each run is its own kernel
        references = dict(zip(sources, pool.map(build, sources.values()), strict=True))
    for assignment_id, reference in references.items():
        course.reference_seconds[assignment_id] = reference_seconds(reference)
    return course


# --- 3. running one submission ---------------------------------------------------------------


def time_limits(
    nb: nbformat.NotebookNode, seconds: dict[str, float], limits: Limits
) -> tuple[Limits, list[int]]:
    """``limits`` with the notebook's time limit set, and each cell's limit in cell order.

    ``seconds`` is the reference run's time per cell, by grade_id; a number given in ``limits``
    wins. A cell the reference does not have (a student's own) gets the limit of its longest cell.
    """
    longest = max(seconds.values(), default=0.0)
    cells = [
        limits.cell_seconds
        or max(CELL_FLOOR, math.ceil(CELL_FACTOR * seconds.get(cell_id(c), longest)))
        for c in nb.cells
    ]
    notebook = limits.notebook_seconds or max(
        NOTEBOOK_FLOOR, math.ceil(NOTEBOOK_FACTOR * sum(seconds.values()))
    )
    return dataclasses.replace(limits, notebook_seconds=notebook), cells


def read_submission(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at ``path`` (a regular file, size-capped, nbformat 4, valid), or None and why
    it cannot be graded, in words for the student."""
    data = read_regular_file(path, _MAX_SUBMISSION_BYTES)
    if data is None:
        if path.is_file() and path.stat().st_size > _MAX_SUBMISSION_BYTES:
            return None, (
                f"the file is larger than {_MAX_SUBMISSION_BYTES // 2**20} MiB: clear its outputs "
                "(Edit > Clear All Outputs) and hand it in again"
            )
        return None, "not a regular file"
    if not data:
        return None, "the file is empty"
    try:
        text = data.decode("utf-8", errors="strict")
        version = nbformat.reads(text, as_version=nbformat.NO_CONVERT).get("nbformat")
        if version != 4:
            return (
                None,
                f"nbformat {version} is not supported: open and save it in Jupyter 4 or later",
            )
        nb = nbformat.reads(text, as_version=4)
        nb = nbformat.validator.normalize(nb)[
            1
        ]  # old notebooks lack cell ids; nothing else changes
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many types for unreadable files
        return None, f"not a valid Jupyter notebook ({type(exc).__name__}: {str(exc)[:160]})"
    return nb, ""


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


# --- 4. scoring in the gradebook -------------------------------------------------------------


def score_one(
    course: Course, outcome: Outcome, executed: Path, handed_in: Path | None = None
) -> None:
    """Lets nbgrader check the evidence of an executed notebook and record its scores.

    ``handed_in`` is the folder the student's notebook came from; what ``nbgrader submit``
    wrote there (``timestamp.txt``, ``submission_secret.txt``) goes into the course with it, so
    that the feedback can go back through nbgrader's exchange (``nbgrader release_feedback``).
    """
    kept = {
        name: data
        for name in (_NBGRADER_SUBMISSION_FILES if handed_in is not None else ())
        if (data := read_regular_file(handed_in / name, 1024))
    }  # read first: merge may hand in the very folder that is replaced here
    dest = course.root / "submitted" / outcome.student_id / outcome.assignment_id
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy2(executed, dest / f"{outcome.assignment_id}.ipynb")
    for name, data in kept.items():
        (dest / name).write_bytes(data)
    result = course.api().autograde(outcome.assignment_id, outcome.student_id)
    if not result["success"]:
        outcome.status = "crashed"
        outcome.message = (
            "nbgrader could not score it: "
            + (result.get("error") or result.get("log") or "")[-300:]
        )
    _read_scores(course, outcome)


def _cell_messages(notebook: Path) -> dict[str, str]:
    """The first error of each graded cell in an autograded notebook, by grade_id."""
    if not notebook.is_file():
        return {}
    messages = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        grade_id, error = cell_id(cell), first_error(cell)
        if grade_id and error:
            # long enough for a check's message and its hint, short enough for a spreadsheet cell
            messages[grade_id] = f"{error[0]}: {error[1][:600]}"
    return messages


def _read_scores(course: Course, outcome: Outcome) -> None:
    """Fills an outcome's score, per-cell rows and message from the gradebook."""
    autograded = course.root / "autograded" / outcome.student_id / outcome.assignment_id
    pending, lost = 0.0, []
    with Gradebook(f"sqlite:///{course.db_path}") as gb:
        outcome.max_score = float(gb.find_assignment(outcome.assignment_id).max_score)
        try:
            submission = gb.find_submission(outcome.assignment_id, outcome.student_id)
        except MissingEntry:
            return
        outcome.score = float(submission.score)
        outcome.cells = []
        for notebook in submission.notebooks:
            messages = _cell_messages(autograded / f"{notebook.name}.ipynb")
            for g in notebook.grades:
                score, max_score = float(g.score), float(g.max_score)
                awaiting = awaits_grading(g)  # the same rule as the HTML feedback's
                if awaiting:
                    pending += max_score
                elif score < max_score:
                    lost.append(g.name)
                row = {
                    "grade_id": g.name,
                    "score": score,
                    "max_score": max_score,
                    "message": "awaiting manual grading" if awaiting else messages.get(g.name, ""),
                }
                outcome.cells.append(row)
    notes = [outcome.message, "lost points in " + ", ".join(lost) if lost else ""]
    notes.append(f"{pending:g} point(s) await manual grading" if pending else "")
    outcome.message = "; ".join(n for n in notes if n)


def _max_scores(course: Course, outcomes: Iterable[Outcome]) -> None:
    with Gradebook(f"sqlite:///{course.db_path}") as gb:
        for outcome in outcomes:
            outcome.max_score = float(gb.find_assignment(outcome.assignment_id).max_score)


# --- 5. feedback and export ------------------------------------------------------------------


def write_feedback(course: Course, outcomes: Iterable[Outcome], out: Path) -> None:
    """nbgrader's HTML feedback for every scored submission, as ``out/feedback/<student>/<assignment>.html``."""
    api = course.api()
    for outcome in outcomes:
        if outcome.status in ("invalid", "missing"):
            continue
        result = api.generate_feedback(outcome.assignment_id, outcome.student_id)
        html = (
            course.root
            / "feedback"
            / outcome.student_id
            / outcome.assignment_id
            / f"{outcome.assignment_id}.html"
        )
        if result["success"] and html.is_file():
            target = out / "feedback" / outcome.student_id / f"{outcome.assignment_id}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(html, target)
        else:  # the grades stand; the instructor must still know a student gets no feedback
            reason = str(result.get("error") or result.get("log") or "").strip().splitlines()
            print(
                f"warning: no HTML feedback for {outcome.student_id} / {outcome.assignment_id}: "
                f"{reason[-1] if reason else 'nbgrader wrote no file'}",
                file=sys.stderr,
            )


def export(outcomes: Iterable[Outcome], out: Path) -> None:
    """Writes ``grades.csv`` (one row per submission) and ``scores.csv`` (one row per graded cell)."""
    outcomes = sorted(outcomes, key=lambda o: (o.student_id, o.assignment_id))
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, GRADE_FIELDS)
        writer.writeheader()
        for o in outcomes:
            writer.writerow({"student_id": o.student_id, "assignment_id": o.assignment_id, "score": o.score,
                             "max_score": o.max_score, "status": o.status, "message": o.message})  # fmt: skip
    with open(out / "scores.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, SCORE_FIELDS)
        writer.writeheader()
        for o in outcomes:
            for cell in o.cells:
                writer.writerow(
                    {"student_id": o.student_id, "assignment_id": o.assignment_id, **cell}
                )


def summary(outcomes: Iterable[Outcome]) -> str:
    """A short table: submissions per status and the mean score per assignment."""
    outcomes = list(outcomes)
    lines = [
        "status counts: "
        + ", ".join(f"{s} {n}" for s, n in sorted(Counter(o.status for o in outcomes).items()))
    ]
    for assignment_id in sorted({o.assignment_id for o in outcomes}):
        rows = [o for o in outcomes if o.assignment_id == assignment_id]
        mean = sum(o.score for o in rows) / len(rows)
        lines.append(
            f"{assignment_id}: {len(rows)} submission(s), mean {mean:.1f} / {rows[0].max_score:g}"
        )
    return "\n".join(lines)


# --- the whole run ---------------------------------------------------------------------------


def _writable(out: Path) -> Path:
    out = out.resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise GradingError(f"cannot write to the output folder {out}: {exc}") from exc
    return out


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


def _execute_here(
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
    for assignment_id in assignments or []:
        source_notebook(assignment_id, root)  # unknown ids fail before any work
    out = _writable(out)
    if not submissions.exists():
        raise GradingError(f"submissions {submissions} does not exist")
    if sandbox and not scheduler and (problem := isolation_problem()):
        raise GradingError(
            f"submissions cannot be sandboxed here: {problem}. To grade, {INSTALL_HINT}; "
            "--no-sandbox runs submissions unconfined (trusted submissions only)"
        )
    folder, problems = open_submissions(submissions.resolve(), out / ".submissions")
    # Only what the class handed in: no reference runs and no "missing" rows for the rest.
    ids = assignments or handed_in(folder, assignment_ids(root))
    found = find_submissions(folder, ids, problems)
    if shard:
        found = [s for s in found if in_shard(s.student_id, shard)]
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=1) as starter:
        here = True  # do the submissions share this machine's cores?
        if scheduler:
            from autograder import cluster

            workers = cluster.local_workers(scheduler)  # None: a scheduler elsewhere
            here, jobs = workers is not None, workers or jobs
            # The cluster starts (and its workers are checked) while the course is prepared.
            session = cluster.session(scheduler, sandbox=sandbox, resources=resources or {})
            starting = starter.submit(stack.enter_context, session)
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

        # The longest notebooks first (by their reference run), so that no long one starts last
        # and runs alone while the other cores wait.
        found.sort(key=lambda s: -sum(course.reference_seconds.get(s.assignment_id, {}).values()))
        if client is None:
            executed = _execute_here(course, found, limits, work_root, isolation, jobs)
        else:
            executed = cluster.execute(
                client, course, found, limits, work_root, isolation, resources=resources
            )
        outcomes = [
            _score(course, submission, outcome, work_root, out)
            for submission, outcome in tqdm(
                executed, total=len(found), desc="grading", unit="notebook", disable=not progress
            )
        ]
    remove_tree(out / ".sandbox")
    _max_scores(course, [o for o in outcomes if not o.cells])
    export(outcomes, out)
    return sorted(outcomes, key=lambda o: (o.student_id, o.assignment_id))


def _score(
    course: Course, submission: Submission, outcome: Outcome, work_root: Path, out: Path
) -> Outcome:
    """Scores a submission that ran and writes its feedback, while others still run.

    Scoring writes the gradebook, so it happens one submission at a time.
    """
    executed = work_root / outcome.student_id / outcome.assignment_id / "executed.ipynb"
    if outcome.status in ("graded", "timeout", "crashed") and executed.is_file():
        path = submission.path
        try:
            score_one(course, outcome, executed, path.parent if path else None)
            write_feedback(course, [outcome], out)
        except Exception as exc:  # one submission never aborts the batch
            return crashed(submission, "scoring it", exc)
    return outcome


def _read_grades(shard: Path) -> list[Outcome]:
    path = shard / "grades.csv"
    if not path.is_file():
        raise GradingError(f"{shard} is not a grading output folder (no grades.csv)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    outcomes = []
    for r in rows:
        outcome = Outcome(
            r["student_id"],
            r["assignment_id"],
            r["status"],
            r["message"],
            float(r["score"]),
            float(r["max_score"]),
        )
        saved = shard / "work" / outcome.student_id / outcome.assignment_id / "outcome.json"
        if saved.is_file():  # a notebook that ran: take the run's own words, scores come again
            outcome.status, outcome.message = (
                json.loads(saved.read_text())[k] for k in ("status", "message")
            )
        outcomes.append(outcome)
    return outcomes


def merge(shards: list[Path], out: Path, *, root: Path = REPO_ROOT) -> list[Outcome]:
    """Combines the outputs of ``grade --shard K/N`` runs into one set of files and one gradebook.

    Executed notebooks are scored again into a fresh gradebook (no notebook runs twice). Merge
    before grading written answers by hand: manual scores stay in the shards' gradebooks.
    """
    out = _writable(out)
    outcomes, origin = [], {}
    for shard in (s.resolve() for s in shards):
        for outcome in _read_grades(shard):
            key = (outcome.student_id, outcome.assignment_id)
            if key in origin:
                raise GradingError(
                    f"{key[0]}/{key[1]} appears in both {origin[key]} and {shard}: shards must not overlap"
                )
            origin[key] = shard
            outcomes.append(outcome)
    if not outcomes:
        raise GradingError("the shards hold no grades")
    seeds = {
        heldout.course_seed(shard / "reference")
        for shard in dict.fromkeys(origin.values())
        if os.environ.get(heldout.SEED_ENV) or (shard / "reference" / "heldout-seed").is_file()
    }
    if len(seeds) > 1:
        raise GradingError(
            "the shards were graded with different held-out seeds, so their accuracy checks "
            f"cannot be scored together: set {heldout.SEED_ENV} to one number on every machine "
            "and grade the shards again"
        )
    for shard in dict.fromkeys(origin.values()):  # reference files are reused while still current
        if (shard / "reference").is_dir() and shard != out:
            shutil.copytree(shard / "reference", out / "reference", dirs_exist_ok=True)
    course = prepare_course(out, sorted({o.assignment_id for o in outcomes}), root)
    for index, outcome in enumerate(outcomes):
        work = Path(outcome.student_id) / outcome.assignment_id
        shard = origin[(outcome.student_id, outcome.assignment_id)]
        executed = shard / "work" / work / "executed.ipynb"
        if outcome.status in ("graded", "timeout", "crashed") and executed.is_file():
            if shard != out:
                shutil.copytree(executed.parent, out / "work" / work, dirs_exist_ok=True)
            try:  # the shard's course keeps nbgrader's submission files
                handed_in = shard / "course" / "submitted" / work
                score_one(course, outcome, out / "work" / work / "executed.ipynb", handed_in)
            except Exception as exc:  # one submission never aborts the batch
                outcomes[index] = crashed(outcome, "scoring it", exc)
    _max_scores(course, [o for o in outcomes if not o.cells])
    for outcome in outcomes:
        try:
            write_feedback(course, [outcome], out)
        except Exception as exc:
            _log.warning(
                "no feedback for %s/%s: %s", outcome.student_id, outcome.assignment_id, exc
            )
    export(outcomes, out)
    return sorted(outcomes, key=lambda o: (o.student_id, o.assignment_id))
