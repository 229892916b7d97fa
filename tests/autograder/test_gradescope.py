"""Gradescope: the zip ``python -m autograder gradescope`` builds, run as Gradescope runs it.

Each run unpacks the zip into a simulated ``/autograder`` (``source/``, ``submission/``,
``results/`` under a temporary folder) and executes its ``run_autograder`` script; results.json
is checked against Gradescope's documented format (gradescope/autograder_samples, docs/specs.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from autograder import grade as grade_module
from autograder import gradescope
from autograder.cli import main
from autograder.course import REPO_ROOT
from autograder.demo import DEMO_ASSIGNMENT, simulated_class, solved
from autograder.sandbox import isolation_problem
from autograder.submissions import GradingError

pytestmark = pytest.mark.grading

_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
#: results.json as docs/specs.md documents it ("Output format"), strictly: no other keys.
RESULTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": _FORMAT,
        "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "score", "max_score", "output", "visibility"],
                "properties": {
                    "score": {"type": "number", "minimum": 0},
                    "max_score": {"type": "number", "minimum": 0},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string", "minLength": 1},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": _FORMAT,
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": _VISIBILITY,
                    "extra_data": {"type": "object"},
                },
            },
        },
    },
}

SANDBOX = isolation_problem() is None


@pytest.fixture(scope="module")
def tiny_zip(tiny_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    cache = tmp_path_factory.mktemp("gradescope-reference")
    return gradescope.build(
        DEMO_ASSIGNMENT, out, root=tiny_course, reference_cache=cache, sandbox=SANDBOX
    )


def _home(zip_path: Path, tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """A simulated /autograder: the zip unpacked into source/, the upload in submission/."""
    home = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(home / "source")
    for name, content in files.items():
        path = home / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (home / "results").mkdir()
    return home


def _run_autograder(home: Path) -> tuple[dict, str]:
    """Runs the zip's own run_autograder as Gradescope would; returns results.json and the log."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(home), "AUTOGRADER_PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", str(home / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((home / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results, proc.stdout


def _tests(results: dict) -> dict[str, dict]:
    return {t["name"]: t for t in results["tests"]}


def test_the_zip_holds_the_scripts_at_its_root_and_no_other_assignment(tiny_zip: Path) -> None:
    with zipfile.ZipFile(tiny_zip) as archive:
        names = set(archive.namelist())
        modes = {n: archive.getinfo(n).external_attr >> 16 for n in ("setup.sh", "run_autograder")}
    assert {"setup.sh", "run_autograder", "gradescope.json", "requirements.txt"} <= names
    assert all(mode & 0o111 for mode in modes.values())
    assert f"solutions/{DEMO_ASSIGNMENT}/{DEMO_ASSIGNMENT}.ipynb" in names
    assert f"reference/{DEMO_ASSIGNMENT}/{DEMO_ASSIGNMENT}.json" in names
    assert not [n for n in names if n.startswith("solutions/0") or "__pycache__" in n]


def test_an_honest_submission_gets_every_autograded_point(
    tiny_zip: Path, tiny_course: Path, tmp_path: Path
) -> None:
    nb = solved(tiny_course, DEMO_ASSIGNMENT)
    home = _home(tiny_zip, tmp_path, {f"{DEMO_ASSIGNMENT}.ipynb": nbformat.writes(nb)})
    results, _ = _run_autograder(home)

    cells = {n: t for n, t in _tests(results).items() if n.startswith("test_")}
    assert set(cells) == {"test_square", "test_softmax", "test_quiz"}
    assert results["score"] == sum(t["max_score"] for t in cells.values()) == 6
    assert all(t["status"] == "passed" for t in cells.values())
    # per-cell scores at the zip's visibility; the visible checks' table always visible
    assert {t["visibility"] for t in cells.values()} == {"after_published"}
    assert results["tests"][0]["visibility"] == "visible"
    assert results["tests"][0]["max_score"] == 0
    assert "2 point(s) of written answers are graded by hand" in results["output"]
    assert "await manual grading" not in results["output"]


def test_a_wrong_answer_loses_its_cell_with_hidden_details_after_publication(
    tiny_zip: Path, tiny_course: Path, tmp_path: Path
) -> None:
    wrong = simulated_class(tiny_course)["s03_partly_wrong"]  # softmax overflows on large logits
    home = _home(tiny_zip, tmp_path, {"tiny (1).ipynb": nbformat.writes(wrong)})
    results, _ = _run_autograder(home)

    tests = _tests(results)
    assert results["score"] == 3
    assert tests["test_softmax"]["score"] == 0 and tests["test_softmax"]["status"] == "failed"
    assert "hidden tests" in tests["test_softmax"]["output"]
    assert "softmax/large" not in tests["test_softmax"]["output"]  # the details wait
    details = tests["test_softmax: hidden test details"]
    assert details["visibility"] == "after_published" and details["max_score"] == 0
    assert "softmax/large" in details["output"]
    assert "graded tiny (1).ipynb as tiny.ipynb" in results["output"]


@pytest.mark.skipif(
    not SANDBOX, reason="needs the bubblewrap sandbox (tests/autograder/test_sandbox.py says why)"
)
def test_a_cheat_can_neither_read_the_reference_nor_write_its_results(
    tiny_zip: Path, tiny_course: Path, tmp_path: Path
) -> None:
    home = tmp_path / "autograder"
    reference = home / "source" / "reference" / DEMO_ASSIGNMENT / f"{DEMO_ASSIGNMENT}.json"
    forged = home / "results" / "results.json"
    # square is right only while the reference evidence is out of sight; softmax patches the
    # visible checks away and returns nonsense (the demo's cheat)
    sneaky_square = (
        "import os\n\n"
        f"_SEEN = os.path.exists({str(reference)!r})\n"
        "try:\n"
        f"    with open({str(forged)!r}, 'w') as f:\n"
        '        f.write(\'{"score": 100, "tests": []}\')\n'
        "except OSError:\n"
        "    pass\n\n\n"
        "def square(x):\n"
        "    return x * x if not _SEEN else x + 1"
    )
    cheat = simulated_class(tiny_course)["s07_cheating"]
    for cell in cheat.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "square":
            cell.source = sneaky_square
    _home(tiny_zip, tmp_path, {f"{DEMO_ASSIGNMENT}.ipynb": nbformat.writes(cheat)})
    results, _ = _run_autograder(home)

    tests = _tests(results)
    assert results["score"] == 3  # square 2 and quiz 1, softmax 0
    assert tests["test_square"]["score"] == 2
    assert tests["test_softmax"]["score"] == 0


def test_an_upload_without_the_notebook_says_what_to_upload(tiny_zip: Path, tmp_path: Path) -> None:
    home = _home(tiny_zip, tmp_path, {"notes.txt": "hello", "a.ipynb": "{}", "b/c.ipynb": "{}"})
    results, _ = _run_autograder(home)
    assert results["score"] == 0
    assert results["output"] == (
        f"not graded: upload {DEMO_ASSIGNMENT}.ipynb (found a.ipynb, b/c.ipynb)"
    )


def test_without_a_sandbox_it_grades_nothing_and_says_why(
    tiny_zip: Path, tiny_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    nb = solved(tiny_course, DEMO_ASSIGNMENT)
    home = _home(tiny_zip, tmp_path, {f"{DEMO_ASSIGNMENT}.ipynb": nbformat.writes(nb)})
    config = home / "source" / gradescope.CONFIG
    config.write_text(json.dumps({**json.loads(config.read_text()), "sandbox": True}))
    monkeypatch.setattr(grade_module, "isolation_problem", lambda: "user namespaces are off")

    assert gradescope.run(home, course_root=home / "source") == 1
    assert not (home / "results" / "results.json").exists()  # Gradescope shows a failed run
    log = capsys.readouterr().out
    assert "NOT graded" in log and "user namespaces are off" in log


def test_build_refuses_what_it_cannot_build(tiny_course: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown assignment .99_nothing.; the course has: tiny"):
        gradescope.build("99_nothing", tmp_path / "a.zip", root=tiny_course)
    with pytest.raises(GradingError, match=r"\.zip"):
        gradescope.build(DEMO_ASSIGNMENT, tmp_path / "a.tar", root=tiny_course)
    with pytest.raises(GradingError, match="visibility"):
        gradescope.build(DEMO_ASSIGNMENT, tmp_path / "a.zip", root=tiny_course, visibility="soon")


def test_the_readme_command_builds_a_course_assignment_that_grades_on_gradescope(
    reference_cache: Path, tmp_path: Path, capsys
) -> None:
    """The README's one command, then a real notebook graded from the zip alone."""
    args = ["gradescope", "01_mlp_backprop", "--out", str(tmp_path / "autograder.zip")]
    args += ["--reference-cache", str(reference_cache), "--visibility", "visible"]
    if not SANDBOX:
        args.append("--no-sandbox")
    assert main(args) == 0
    assert "autograder.zip" in capsys.readouterr().out

    honest = solved(REPO_ROOT, "01_mlp_backprop")
    home = _home(
        tmp_path / "autograder.zip", tmp_path, {"01_mlp_backprop.ipynb": nbformat.writes(honest)}
    )
    results, _ = _run_autograder(home)
    cells = [t for t in results["tests"] if t["name"].startswith("test_")]
    assert len(cells) >= 10 and all(t["visibility"] == "visible" for t in cells)
    assert [t["name"] for t in cells if t["status"] != "passed"] == []
    assert results["score"] == sum(t["max_score"] for t in cells) > 0
