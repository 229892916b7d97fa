"""``python -m autograder gradescope``: one assignment as a Gradescope autograder.

:func:`build` writes the zip Gradescope's "Configure Autograder" page takes: ``setup.sh`` (runs
once, when Gradescope builds the image: bubblewrap, a venv, the course's requirements),
``run_autograder`` (runs for each submission) and the course that grading needs: both packages,
the bundled data, the assignment's source and released notebooks, and its reference run, so that
no reference solution runs on Gradescope.

:func:`run` is what ``run_autograder`` calls. It grades the uploaded notebook with this project's
own grader (:func:`autograder.grade.grade`: the submission rebuilt around the source notebook,
run in the bubblewrap sandbox, scored only on evidence compared outside it) and writes
``results/results.json`` in Gradescope's documented format (``gradescope/autograder_samples``,
docs/specs.md): one test per graded cell with its score, max_score, status and a message in
words, at the visibility the instructor chose; a cell's hidden-test details in a separate
0-point test shown only after the grades are published; and an always-visible 0-point test
listing the visible checks, as the student's own notebook shows them. Written answers are left
to Gradescope's manual grading.

Where bubblewrap cannot sandbox (a container without user namespaces), :func:`run` writes no
results and exits 1 with the reason in the instructor's log: Gradescope then reports that the
autograder failed, and the student's code never runs unconfined next to the reference evidence.
An instructor who accepts that risk builds with ``sandbox=False`` (``--no-sandbox``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from autograder.course import RELEASE_DIR, REPO_ROOT, SOLUTIONS_DIR, source_notebook
from autograder.grade import grade
from autograder.reference import build_reference, default_cache
from autograder.sandbox import read_regular_file
from autograder.submissions import MAX_SUBMISSION_BYTES, GradingError, Outcome

__all__ = ["VISIBILITIES", "build", "results", "run"]

#: When students see a scored test (docs/specs.md, "Controlling Test Case Visibility"); the
#: fourth setting, "hidden", is meant for tests worth no points.
VISIBILITIES = ("visible", "after_due_date", "after_published")
CONFIG = "gradescope.json"  # in the zip's root: the assignment and the instructor's choices
STUDENT = "student"  # the one student of a Gradescope run, as the gradebook names them
# Build and Jupyter leftovers, and the full datasets a user may have fetched into data/full/.
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".ipynb_checkpoints", "full")

_SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (network allowed).
set -euo pipefail
cd "$(dirname "$0")"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
# torch's CPU build: Gradescope's machines have no GPU, and the default CUDA build is 5 GB.
/autograder/venv/bin/pip install --quiet torch torchvision \\
    --index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/pip install --quiet -r requirements.txt
"""

# AUTOGRADER_ROOT and AUTOGRADER_PYTHON exist for a rehearsal on your own machine (README.md);
# on Gradescope both keep their defaults.
_RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder.
set -euo pipefail
home=${AUTOGRADER_ROOT:-/autograder}
cd "$home/source"
exec "${AUTOGRADER_PYTHON:-/autograder/venv/bin/python}" -m autograder gradescope --run "$home"
"""


def _stage(assignment_id: str, stage: Path, root: Path, cache: Path) -> None:
    """Lays out in ``stage`` the course as :func:`run` needs it on Gradescope."""
    for package in ("autograder", "course_utils", "data"):
        shutil.copytree(REPO_ROOT / package, stage / package, ignore=_IGNORED)
    for name in ("pyproject.toml", "requirements.txt", "LICENSE"):
        shutil.copy2(REPO_ROOT / name, stage / name)
    for folder in (SOLUTIONS_DIR, RELEASE_DIR):
        shutil.copytree(
            root / folder / assignment_id, stage / folder / assignment_id, ignore=_IGNORED
        )
    # The reference run, current for exactly these files (its fingerprint covers the notebook,
    # the helper packages, the data and the held-out seed kept in the cache's root).
    build_reference(source_notebook(assignment_id, root), cache)
    reference = stage / "reference"
    reference.mkdir()
    for path in cache.iterdir():
        if path.is_file():
            shutil.copy2(path, reference / path.name)  # the held-out seed
    shutil.copytree(cache / assignment_id, reference / assignment_id)


def build(
    assignment_id: str,
    out: Path,
    *,
    root: Path = REPO_ROOT,
    reference_cache: Path | None = None,
    visibility: str = "after_published",
    sandbox: bool = True,
) -> Path:
    """Writes the Gradescope autograder zip for ``assignment_id`` to ``out``; returns ``out``.

    Args:
        root: the course holding ``solutions/<id>`` and the released ``notebooks/<id>``.
        reference_cache: where reference runs are kept (default: the grader's cache); the run is
            reused when current, else the reference solution runs now, once.
        visibility: when students see their per-cell scores (one of :data:`VISIBILITIES`).
            Hidden-test details are always shown only after publication.
        sandbox: False grades on Gradescope without bubblewrap, for trusted submissions only.

    Raises:
        GradingError: an unknown or unreleased assignment, a bad visibility, an unwritable ``out``.
    """
    if visibility not in VISIBILITIES:
        raise GradingError(f"visibility {visibility!r} is not one of {', '.join(VISIBILITIES)}")
    source_notebook(assignment_id, root)  # unknown ids fail first, naming the known ones
    released = root / RELEASE_DIR / assignment_id / f"{assignment_id}.ipynb"
    if not released.is_file():
        raise GradingError(f"{released} is missing: run `python -m autograder release` first")
    if out.suffix != ".zip" or not out.parent.is_dir():
        raise GradingError(f"--out {out}: name a .zip file in an existing folder")
    config = {"assignment": assignment_id, "visibility": visibility, "sandbox": sandbox}
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        stage = Path(tmp)
        _stage(assignment_id, stage, root, reference_cache or default_cache())
        (stage / CONFIG).write_text(json.dumps(config, indent=1))
        (stage / "setup.sh").write_text(_SETUP_SH)
        (stage / "run_autograder").write_text(_RUN_AUTOGRADER)
        partial = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(stage.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo.from_file(path, path.relative_to(stage).as_posix())
                    executable = path.name in ("setup.sh", "run_autograder")
                    info.external_attr = (0o755 if executable else 0o644) << 16
                    archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
        partial.replace(out)
    return out


def _find_notebook(submission: Path, assignment_id: str) -> tuple[Path | None, str]:
    """The uploaded notebook: ``<assignment>.ipynb`` anywhere, else the only notebook; or why not."""
    notebooks = sorted(
        (p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts),
        key=lambda p: (len(p.parts), p.as_posix()),
    )
    named = [p for p in notebooks if p.name == f"{assignment_id}.ipynb"]
    if named:
        return named[0], ""
    if len(notebooks) == 1:
        name = notebooks[0].relative_to(submission)
        return notebooks[0], f"graded {name} as {assignment_id}.ipynb"
    found = ", ".join(p.relative_to(submission).as_posix() for p in notebooks) or "no notebook"
    return None, f"upload {assignment_id}.ipynb (found {found})"


def _visible_line(cell: dict) -> str:
    grade_id, message = cell["grade_id"], str(cell["message"])
    if cell["score"] >= cell["max_score"] or message.startswith("HiddenTestFailed"):
        return f"passed           {grade_id}"
    if "NotImplementedError" in message:
        return f"not implemented  {grade_id}"
    return f"FAILED           {grade_id}: {message or 'did not run'}"


def _cell_test(cell: dict, number: int, visibility: str) -> list[dict]:
    """A graded cell as one Gradescope test, and its hidden-test details as a second one."""
    grade_id, message = cell["grade_id"], str(cell["message"])
    score, max_score = float(cell["score"]), float(cell["max_score"])
    hidden = message.startswith("HiddenTestFailed")
    if score >= max_score:
        output = "All its checks passed, the visible ones and the hidden ones."
    elif hidden:
        output = (
            "Its visible checks passed, but its hidden tests (the same functions on other "
            "inputs, compared with the reference solution) did not. What they found is shown "
            "when your instructor publishes the grades."
        )
    elif "NotImplementedError" in message:
        output = (
            "Not implemented yet: an exercise this cell calls still raises NotImplementedError."
        )
    else:
        output = f"A visible check failed or the cell stopped:\n{message or 'it did not run'}"
    test = {
        "name": grade_id,
        "number": str(number),
        "score": score,
        "max_score": max_score,
        "status": "passed" if score >= max_score else "failed",
        "output": output,
        "visibility": visibility,
    }
    if not hidden:
        return [test]
    details = {
        "name": f"{grade_id}: hidden test details",
        "number": f"{number}.1",
        "score": 0.0,
        "max_score": 0.0,
        "output": message.removeprefix("HiddenTestFailed: "),
        "visibility": "after_published",
    }
    return [test, details]


def results(outcome: Outcome, visibility: str, notes: tuple[str, ...] = ()) -> dict:
    """Gradescope's results.json for one graded submission (see the module docstring)."""
    autograded = [c for c in outcome.cells if c["message"] != "awaiting manual grading"]
    by_hand = sum(float(c["max_score"]) for c in outcome.cells if c not in autograded)
    score = sum(float(c["score"]) for c in autograded)
    most = sum(float(c["max_score"]) for c in autograded)
    # The grader's own note on written answers speaks of its gradebook; here Gradescope's
    # manual grading takes them over.
    said = [m for m in outcome.message.split("; ") if m and "manual grading" not in m]
    summary = [
        f"{outcome.status}: {score:g} of {most:g} autograded points"
        if autograded
        else f"not graded ({outcome.status})",
        *said,
        *notes,
    ]
    if by_hand:
        summary.append(f"{by_hand:g} point(s) of written answers are graded by hand")
    tests = [
        {
            "name": "Visible tests (what your notebook shows; not a grade)",
            "number": "0",
            "score": 0.0,
            "max_score": 0.0,
            "output": "\n".join(_visible_line(c) for c in autograded) or "no test ran",
            "visibility": "visible",
        }
    ]
    for number, cell in enumerate(autograded, 1):
        tests += _cell_test(cell, number, visibility)
    return {
        "score": score,
        "output": "\n".join(summary),
        "output_format": "text",
        "stdout_visibility": "hidden",  # the grader's log is for the instructor
        "tests": tests,
    }


def _write(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    tmp.replace(path)


def run(home: Path, course_root: Path = REPO_ROOT) -> int:
    """Grades ``home/submission`` into ``home/results/results.json``; returns the exit status.

    ``home`` is Gradescope's ``/autograder``; ``course_root`` the unpacked zip (``home/source``).
    Exits 1, writing no results, when the grader cannot run (no sandbox, a broken zip): the
    reason goes to the instructor's log and Gradescope shows the run as failed, not as a zero.
    """
    started = time.monotonic()
    config = json.loads((course_root / CONFIG).read_text())
    assignment_id, visibility = config["assignment"], config["visibility"]
    out = home / "results" / "results.json"
    notebook, note = _find_notebook(home / "submission", assignment_id)
    data = read_regular_file(notebook, MAX_SUBMISSION_BYTES) if notebook else None
    if data is None:
        why = (
            note
            or f"{notebook.name} is not a regular file under {MAX_SUBMISSION_BYTES // 2**20} MiB"
        )  # type: ignore[union-attr]
        _write(out, {"score": 0.0, "output": f"not graded: {why}", "tests": []})
        return 0
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        handed_in = Path(tmp) / "submissions" / STUDENT / f"{assignment_id}.ipynb"
        handed_in.parent.mkdir(parents=True)
        handed_in.write_bytes(data)
        try:
            (outcome,) = grade(
                handed_in.parent.parent,
                Path(tmp) / "graded",
                assignments=[assignment_id],
                root=course_root,
                jobs=1,
                reference_dir=course_root / "reference",
                sandbox=config["sandbox"],
            )
        except GradingError as exc:
            print(f"autograder: the submission was NOT graded: {exc}")
            return 1
    payload = results(outcome, visibility, (note,) if note else ())
    payload["execution_time"] = round(time.monotonic() - started)
    _write(out, payload)
    print(f"autograder: {outcome.student_id} {outcome.status} {payload['score']:g}")
    return 0
