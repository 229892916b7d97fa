"""autograder/executor.py on tiny in-memory notebooks, without the sandbox.

``run_notebook`` starts a local python3 kernel (a second or two per test); ``main`` runs as the
sandbox runs it, ``python -m autograder.executor`` with the notebook on standard input. The
sandboxed runs of the same executor are in tests/autograder/test_sandbox.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from traitlets import Integer

from autograder import executor

_NOTE = "[output stopped: the notebook printed more than"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel starts in the current folder: keep it in the test's own."""
    monkeypatch.chdir(tmp_path)


def _cell(source: str, grade_id: str | None = None) -> NotebookNode:
    cell = new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id}
    return cell


def _run(
    tmp_path: Path, cells: list[NotebookNode], *, seconds: int = 10, output_cap: int = 10**6
) -> tuple[str, dict]:
    """``run_notebook`` with every cell limited to ``seconds``: its status and the saved file."""
    dst = tmp_path / "results.json"
    status = executor.run_notebook(
        new_notebook(cells=cells),
        dst,
        cell_limits=[seconds] * len(cells),
        output_cap=output_cap,
    )
    return status, json.loads(dst.read_text())


def _texts(saved: dict, index: int) -> list[str]:
    """Cell ``index``'s outputs as text: a stream's text, an error's name."""
    return [o.get("text", o.get("ename")) for o in saved["cells"][str(index)]["outputs"]]


def test_outputs_are_saved_per_code_cell(tmp_path: Path) -> None:
    """Does the file hold each code cell's outputs and count under its index, and nothing else?"""
    status, saved = _run(
        tmp_path,
        [new_markdown_cell("# title"), _cell("print('one')"), _cell("41 + 1")],
    )
    assert status == "ok"
    assert saved["status"] == "ok" and saved["message"] == ""
    assert sorted(saved["cells"]) == ["1", "2"]  # the markdown cell has no entry
    assert saved["cells"]["1"] == {
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "one\n"}],
        "execution_count": 1,
    }
    result = saved["cells"]["2"]["outputs"][0]
    assert result["output_type"] == "execute_result" and result["data"]["text/plain"] == "42"
    assert saved["cells"]["2"]["execution_count"] == 2


def test_the_file_is_saved_after_every_cell(tmp_path: Path) -> None:
    """Does a cell see the cells before it already saved (status "running"), so a kill keeps them?"""
    dst = tmp_path / "results.json"
    peek = f"import json; d = json.load(open({str(dst)!r})); print(d['status'], sorted(d['cells']))"
    status, saved = _run(tmp_path, [_cell("print('one')"), _cell(peek)])
    assert status == "ok"
    assert _texts(saved, 1) == ["running ['0']\n"]


def test_stale_outputs_of_a_submission_are_not_reported(tmp_path: Path) -> None:
    """Are outputs a submission arrives with dropped, even in a cell that does not run?"""
    blank = _cell("")  # nbclient skips a blank cell: it never runs
    blank.outputs = [nbformat.v4.new_output("stream", name="stdout", text="all tests passed\n")]
    blank.execution_count = 7
    ran = _cell("print('fresh')")
    ran.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
    status, saved = _run(tmp_path, [blank, ran])
    assert status == "ok"
    assert sorted(saved["cells"]) == ["1"]
    assert _texts(saved, 1) == ["fresh\n"]


def test_a_cell_that_raises_lets_the_later_cells_run(tmp_path: Path) -> None:
    """Is an exception an output of its cell, not the end of the run?"""
    status, saved = _run(tmp_path, [_cell("1 / 0"), _cell("print('after')")])
    assert status == "ok" and saved["message"] == ""
    assert _texts(saved, 0) == ["ZeroDivisionError"]
    assert _texts(saved, 1) == ["after\n"]


def test_a_cell_past_its_limit_is_interrupted_and_the_later_cells_run(tmp_path: Path) -> None:
    """Does a timeout name the cell, and does the run go on when the kernel answers the interrupt?"""
    slow = _cell("print('started', flush=True)\nimport time\ntime.sleep(60)", grade_id="slow")
    cells = [new_markdown_cell("# title"), slow, _cell("print('after')")]
    dst = tmp_path / "results.json"
    status = executor.run_notebook(
        new_notebook(cells=cells), dst, cell_limits=[10, 1, 10], output_cap=10**6
    )
    saved = json.loads(dst.read_text())
    assert status == "timeout"
    assert saved["status"] == "timeout"
    assert saved["message"] == "cell slow ran longer than 1 s"
    assert _texts(saved, 1) == ["started\n", "CellTimeout"]  # the reason, not the interrupt
    assert saved["cells"]["1"]["outputs"][1]["evalue"] == (
        "this cell ran for more than 1 s and was interrupted"
    )
    assert _texts(saved, 2) == ["after\n"]


def test_a_timeout_keeps_the_outputs_of_the_first_cell(tmp_path: Path) -> None:
    """Does a timeout leave what the cells before it printed, the first cell included?"""
    status, saved = _run(
        tmp_path,
        [_cell("print('setup')"), _cell("import time; time.sleep(60)"), _cell("print('after')")],
        seconds=1,
    )
    assert status == "timeout"
    assert _texts(saved, 0) == ["setup\n"]


class _QuickIOPubClient(executor.LimitedClient):
    """The executor's client, waiting 1 s instead of 4 for a stuck cell's last output."""

    iopub_timeout = Integer(1)


def test_a_kernel_that_ignores_the_interrupt_ends_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does a cell that ignores SIGINT stop the run there, saying so, rather than hang it?"""
    # Seconds, not the real 5 + 4: how long the probe waits, and nbclient's wait for the last
    # output of a cell that never went idle (once for the cell, once for the probe).
    monkeypatch.setattr(executor, "_PROBE_SECONDS", 1)
    monkeypatch.setattr(executor, "LimitedClient", _QuickIOPubClient)
    stubborn = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)"
    status, saved = _run(
        tmp_path, [_cell(stubborn, grade_id="stubborn"), _cell("print('after')")], seconds=1
    )
    assert status == "timeout"
    assert saved["message"] == (
        "cell stubborn ran longer than 1 s and ignored the interrupt: the kernel was stopped there"
    )
    assert _texts(saved, 0)[-1] == "CellTimeout"
    assert "1" not in saved["cells"]


def test_the_output_cap_cuts_the_output_and_notes_it_once(tmp_path: Path) -> None:
    """Is output past the notebook's cap dropped, with one note in each cell that passed it?"""
    cap = 1000
    chatty = "for i in range(50):\n    print('x' * 100, flush=True)"
    status, saved = _run(tmp_path, [_cell(chatty), _cell("print('later')")], output_cap=cap)
    assert status == "ok"
    assert saved["message"] == "output was cut at 1,000 bytes"
    first = _texts(saved, 0)
    assert sum(_NOTE in text for text in first) == 1 and _NOTE in first[-1]
    kept = "".join(first[:-1])
    assert 0 < len(kept) <= cap and set(kept) <= {"x", "\n"}
    later = _texts(saved, 1)
    assert len(later) == 1 and _NOTE in later[0]  # the cap is per notebook, not per cell


def test_a_cell_that_kills_the_kernel_gives_crashed_and_keeps_the_earlier_outputs(
    tmp_path: Path,
) -> None:
    """Is a dead kernel "crashed", naming the cell, with what ran before it still saved?"""
    cells = [_cell("print('before')"), _cell("import os; os._exit(1)", "boom"), _cell("print(3)")]
    status, saved = _run(tmp_path, cells)
    assert status == "crashed"
    assert saved["status"] == "crashed"
    assert saved["message"] == "the kernel died while running cell boom"
    assert _texts(saved, 0) == ["before\n"]
    assert "2" not in saved["cells"]


def _main(tmp_path: Path, nb: NotebookNode, cell_limits: str) -> subprocess.CompletedProcess:
    """``python -m autograder.executor`` as the sandbox calls it, the notebook on stdin."""
    return subprocess.run(
        [sys.executable, "-m", "autograder.executor", "results.json"]
        + ["--cell-limits", cell_limits, "--output-cap", "100000"],
        input=nbformat.writes(nb),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )


def test_main_refuses_cell_limits_that_do_not_match_the_cells(tmp_path: Path) -> None:
    """Is a --cell-limits of the wrong length a usage error (exit 2) before anything runs?"""
    nb = new_notebook(cells=[new_markdown_cell("# title"), _cell("print(1)")])
    proc = _main(tmp_path, nb, "5")
    assert proc.returncode == 2
    assert "--cell-limits has 1 values for 2 cells" in proc.stderr
    assert not (tmp_path / "results.json").exists()


def test_main_runs_the_notebook_from_standard_input(tmp_path: Path) -> None:
    """Does main read the notebook from stdin and leave the outputs in OUT?"""
    nb = new_notebook(cells=[new_markdown_cell("# title"), _cell("print('hello')")])
    proc = _main(tmp_path, nb, "5,5")
    assert proc.returncode == 0, proc.stderr
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["status"] == "ok"
    assert _texts(saved, 1) == ["hello\n"]
