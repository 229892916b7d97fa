"""Reference evidence: what the reference solution records in each test cell.

The source notebook (``solutions/<id>/<id>.ipynb``) is executed once in a trusted kernel; the
records of every test cell are saved as ``<dir>/<assignment_id>/<notebook_id>.json``, and the
executed notebook beside it (``<notebook_id>.ipynb``: what the reference run showed, for the
tests that check its figures; a run that fails goes to ``<notebook_id>.failed.ipynb``, for the
instructor to read). Files are cached by a fingerprint of everything the run depends on (the
notebook, ``course_utils``, the bundled data, the held-out seed) in a folder that outlasts one
grading run (:func:`default_cache`), so a course's reference runs once, not once per class or
per student. The reference kernel, like a student's, sees held-out images only: the labels of each
sealed accuracy check are added to its record here (:mod:`autograder.heldout`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import platformdirs
from filelock import FileLock
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from autograder import heldout
from autograder.course import REPO_ROOT
from autograder.evidence import EvidenceError, cell_records, decode_accuracy, is_test_cell
from autograder.evidence import grade_id as cell_id
from autograder.sandbox import thread_environment
from course_utils import kernels
from course_utils.checks import encode_value
from course_utils.kernels import NOTEBOOK_SWITCHES  # re-exported: tests read it here

__all__ = [
    "CACHE_ENV",
    "build_reference",
    "default_cache",
    "executed_notebook",
    "execute_notebook",
    "fingerprint",
    "NOTEBOOK_SWITCHES",
    "reference_problems",
    "reference_seconds",
]

CACHE_ENV = "AUTOGRADER_REFERENCE_CACHE"
# Bumped when the reference file gains a field, so that older cached files are rebuilt.
_FORMAT = "2: seconds per cell"
_FINGERPRINT_INPUTS = ("course_utils", "data")


def default_cache() -> Path:
    """Where reference runs are kept when ``grade`` is given no ``--reference-cache``:
    ``$AUTOGRADER_REFERENCE_CACHE``, else ``reference/`` in the user's cache folder
    (``~/.cache/nn-architectures-course/`` on Linux)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return platformdirs.user_cache_path("nn-architectures-course") / "reference"


def _write_atomically(path: Path, text: str) -> None:
    """Two grading runs may share a cache: neither ever reads half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def fingerprint(notebook: Path, seed: int = 0) -> str:
    """sha256 over the notebook, the helper code and data its run depends on, and the held-out seed."""
    digest = hashlib.sha256(notebook.read_bytes())
    digest.update(_FORMAT.encode())
    digest.update(heldout.seed_identity(seed).encode())
    for folder in _FINGERPRINT_INPUTS:
        for path in sorted((REPO_ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".npz"}:
                digest.update(path.relative_to(REPO_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def execute_notebook(
    nb: nbformat.NotebookNode,
    workdir: Path,
    *,
    timeout: int = 600,
    threads: int = 0,
    on_cell_start: Callable[[int], object] | None = None,
) -> nbformat.NotebookNode:
    """:func:`course_utils.kernels.execute_notebook` (the run the student's check makes too),
    with the BLAS and torch threads capped at ``threads`` (0: the libraries' default), as the
    grader does for each submission."""
    return kernels.execute_notebook(
        nb, workdir, timeout=timeout, env=thread_environment(threads), on_cell_start=on_cell_start
    )


def _seconds(cell: nbformat.NotebookNode) -> float | None:
    """How long an executed cell ran, from nbclient's timestamps (None if it did not finish)."""
    timing = cell.metadata.get("execution", {})
    try:
        start, end = (timing[k] for k in ("iopub.execute_input", "shell.execute_reply"))
        return max(
            0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        )
    except (KeyError, ValueError):
        return None


def reference_seconds(reference: Path) -> dict[str, float]:
    """How long each code cell of the reference run took, by grade_id."""
    return json.loads(reference.read_text())["seconds"]


def reference_problems(nb: nbformat.NotebookNode) -> list[str]:
    """What keeps an executed source notebook from serving as the reference, one line each."""
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        grade_id = cell_id(cell) or "?"
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"cell '{grade_id}' raised {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr" and is_test_cell(cell):
                # nbgrader scores any stderr output in a test cell as a failure.
                problems.append(f"test cell '{grade_id}' writes to stderr: {output.text[:200]!r}")
        if is_test_cell(cell):
            records, duplicates = cell_records(cell)
            problems += [f"test cell '{grade_id}': {d}" for d in duplicates]
            if not records:
                problems.append(
                    f"test cell '{grade_id}' records no hidden check (see autograder/README.md)"
                )
    return problems


def _seal(cells: dict[str, Any], seed: int) -> list[str]:
    """Adds the held-out labels to every sealed accuracy record; returns the records that miss their mark."""
    problems = []
    for grade_id, records in cells.items():
        for name, record in records.items():
            if record.get("kind") == "accuracy" and "held_out" in record:
                labels = heldout.held_out(str(record["held_out"]), seed)[1]
                record["targets"] = encode_value(labels)
                accuracy = decode_accuracy(record, record)
                if accuracy is None or accuracy < float(record["min_accuracy"]):
                    problems.append(
                        f"test cell '{grade_id}': the reference's '{name}' scores {accuracy} on "
                        f"held-out set {record['held_out']}, below its mark {record['min_accuracy']}"
                    )
    return problems


def build_reference(source: Path, out_dir: Path, *, timeout: int = 1800, threads: int = 0) -> Path:
    """Executes the source notebook and writes its records to ``out_dir/<assignment>/<nb>.json``.

    Returns the path of the reference file; reuses it when its fingerprint is current. The
    held-out seed is the one kept in ``out_dir`` (see :func:`autograder.heldout.course_seed`).
    The file also keeps each code cell's run time (:func:`reference_seconds`), measured with
    ``threads`` threads (:func:`execute_notebook`), from which the grader sets its time limits.

    Raises:
        EvidenceError: the reference solution fails its own tests, a test cell records nothing or
            the run stops (a cell past ``timeout`` seconds, a dead kernel). The message is one
            line: the assignment, the cell and what to do.
    """
    assignment_id, notebook_id = source.parent.name, source.stem
    target = out_dir / assignment_id / f"{notebook_id}.json"
    executed = target.with_suffix(".ipynb")
    seed = heldout.course_seed(out_dir)
    key = fingerprint(source, seed)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Runs sharing the cache (parallel test workers, two graders) wait for one run of the
    # solution instead of each executing it.
    with FileLock(target.with_suffix(".lock")):
        if (
            target.exists()
            and executed.exists()
            and json.loads(target.read_text()).get("fingerprint") == key
        ):
            return target
        return _run_reference(source, target, seed, key, timeout=timeout, threads=threads)


def _run_reference(
    source: Path, target: Path, seed: int, key: str, *, timeout: int, threads: int
) -> Path:
    """Executes the solution and writes its evidence to ``target`` (see :func:`build_reference`)."""
    assignment_id = source.parent.name
    executed = target.with_suffix(".ipynb")
    nb = nbformat.read(source, as_version=4)
    started: list[int] = []  # the cells begun, in order: the last one is where a run stopped
    with tempfile.TemporaryDirectory(prefix="reference-") as tmp:
        workdir = Path(tmp)
        heldout.prepare_workdir(source.parent, nb, workdir, seed)
        try:
            execute_notebook(
                nb, workdir, timeout=timeout, threads=threads, on_cell_start=started.append
            )
        except (CellTimeoutError, DeadKernelError, CellExecutionError) as exc:
            # allow_errors covers a cell that raises; these stop the whole run.
            cell = (cell_id(nb.cells[started[-1]]) if started else None) or "?"
            what = (
                f"ran past the {timeout} s cell limit in cell '{cell}': grade on a less busy "
                "machine or raise the limit with --timeout"
                if isinstance(exc, CellTimeoutError)
                else f"stopped in cell '{cell}' ({type(exc).__name__}): run the notebook in "
                "Jupyter to see why"
            )
            raise EvidenceError(f"the reference solution of {assignment_id} {what}") from exc
    cells: dict[str, Any] = {
        cell.metadata.nbgrader["grade_id"]: cell_records(cell)[0]
        for cell in nb.cells
        if is_test_cell(cell)
    }
    problems = reference_problems(nb) + _seal(cells, seed)
    failed = target.with_suffix(".failed.ipynb")
    if problems:
        nbformat.write(nb, failed)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise EvidenceError(
            f"the reference solution of {assignment_id} cannot serve as the reference: "
            f"{problems[0].splitlines()[0]}{more}. Fix solutions/{assignment_id}/{source.name} "
            f"until it passes its own tests (its run is in {failed})"
        )
    _write_atomically(executed, nbformat.writes(nb))
    seconds = {
        gid: s
        for c in nb.cells
        if c.cell_type == "code" and (gid := cell_id(c)) and (s := _seconds(c)) is not None
    }
    _write_atomically(target, json.dumps({"fingerprint": key, "cells": cells, "seconds": seconds}))
    failed.unlink(missing_ok=True)
    return target


def executed_notebook(reference: Path) -> nbformat.NotebookNode:
    """The executed notebook of the reference run whose records are in ``reference``."""
    return nbformat.read(reference.with_suffix(".ipynb"), as_version=4)
