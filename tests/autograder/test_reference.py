"""Tests for autograder/reference.py's notebook runs: what the reference kernel sees and shows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder import reference
from autograder.reference import NOTEBOOK_SWITCHES, build_reference, execute_notebook


def test_reference_run_draws_inline_and_ignores_a_students_switches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Figures come out as pictures whatever MPLBACKEND says in the grader's shell, and the
    notebooks' own switches (05's real roof folder) never reach the reference kernel."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name in NOTEBOOK_SWITCHES:
        monkeypatch.setenv(name, "/somewhere/real")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                f"import os\nprint([os.environ.get(n) for n in {NOTEBOOK_SWITCHES!r}])"
            ),
            nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])"),
        ]
    )
    execute_notebook(nb, tmp_path, timeout=120)
    assert nb.cells[0].outputs[0].text.strip() == str([None] * len(NOTEBOOK_SWITCHES))
    assert any("image/png" in o.get("data", {}) for o in nb.cells[1].outputs)


@pytest.mark.grading
def test_runs_sharing_a_cache_execute_the_solution_once(
    tiny_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Two builds of one reference at once (parallel test workers, two graders) run the
    solution once; both get the same file, and the held-out seed both drew is one seed."""
    runs = []
    real = reference._run_reference

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reference, "_run_reference", counted)
    source = tiny_course / "solutions" / "tiny" / "tiny.ipynb"
    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(lambda _: build_reference(source, tmp_path / "cache"), range(2)))
    assert len(runs) == 1 and paths[0] == paths[1] and paths[0].is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.endswith(".tmp")] == []
