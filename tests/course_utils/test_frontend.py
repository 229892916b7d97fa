"""Tests for course_utils/frontend.py: check_hand_in() from a notebook's last cell.

Which notebook a frontend edits (Jupyter's session name, VS Code's file, Colab's browser copy),
the one line where there is none, and the guard that keeps every run of a whole notebook (the
check's own kernel, the grader's, a reference run) from checking again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from autograder.course import assignment_ids, source_notebook
from course_utils import frontend
from course_utils.cells import nbgrader_meta
from course_utils.frontend import (
    BATCH_RUN_MESSAGE,
    NO_FRONTEND_MESSAGE,
    check_hand_in,
    find_notebook,
)
from course_utils.handin import COURSE_ROOT
from course_utils.kernels import BATCH_RUN_ENV, execute_notebook, kernel_environment

RELEASED_01 = COURSE_ROOT / "notebooks" / "01_mlp_backprop" / "01_mlp_backprop.ipynb"


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_every_notebook_ends_with_the_check(assignment_id):
    """The last cells: "Ready to hand in?", then a locked, ungraded call of check_hand_in()."""
    intro, call = nbformat.read(source_notebook(assignment_id), as_version=4).cells[-2:]
    assert intro.source.startswith("## Ready to hand in?") and "not a grade" in intro.source
    assert "check_hand_in()" in call.source
    assert nbgrader_meta(intro)["grade_id"] == "handin_intro"
    meta = nbgrader_meta(call)
    assert (meta["grade_id"], meta["locked"], meta["grade"], meta["solution"]) == (
        "handin",
        True,
        False,
        False,
    )


@pytest.fixture(autouse=True)
def no_frontend(monkeypatch):
    """Whatever ran pytest (a Jupyter terminal, Colab, VS Code), the tests start with none."""
    for name in (BATCH_RUN_ENV, "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(frontend, "_user_namespace", lambda: {})


@pytest.fixture
def no_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def test_jupyter_session_vscode_and_a_given_path_name_the_notebook(tmp_path, monkeypatch):
    """__session__ or JPY_SESSION_NAME (absolute, or relative to the server's root above the
    kernel's folder), VS Code's __vsc_ipynb_file__; a path given wins."""
    nb = tmp_path / "course" / "nb.ipynb"
    nb.parent.mkdir()
    nb.write_text("{}")
    monkeypatch.chdir(nb.parent)
    monkeypatch.setattr(frontend, "_user_namespace", lambda: {"__session__": str(nb)})
    assert find_notebook(None, tmp_path) == (nb, False)
    monkeypatch.setattr(frontend, "_user_namespace", lambda: {})
    monkeypatch.setenv("JPY_SESSION_NAME", "course/nb.ipynb")  # the server runs in tmp_path
    assert find_notebook(None, tmp_path) == (tmp_path / "course" / "nb.ipynb", False)
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.setattr(frontend, "_user_namespace", lambda: {"__vsc_ipynb_file__": str(nb)})
    assert find_notebook(None, tmp_path) == (nb, False)
    assert find_notebook("other.ipynb", tmp_path) == (Path("other.ipynb"), False)


def test_no_frontend_is_one_line_and_no_run(capsys, no_subprocess):
    check_hand_in()
    assert capsys.readouterr().out == NO_FRONTEND_MESSAGE + "\n"


def test_a_batch_run_never_checks_again(monkeypatch, capsys, no_subprocess):
    """The guard wins over everything a frontend would say, an explicit path included."""
    monkeypatch.setenv(BATCH_RUN_ENV, "1")
    monkeypatch.setenv("JPY_SESSION_NAME", str(RELEASED_01))
    check_hand_in()
    check_hand_in(RELEASED_01)
    assert capsys.readouterr().out == (BATCH_RUN_MESSAGE + "\n") * 2


def test_every_kernel_a_course_tool_starts_is_a_batch_run_without_a_frontend(monkeypatch):
    """The check's and the reference run's kernels, and the grader's sandbox, even for an
    instructor who grades from a Jupyter notebook's shell."""
    from autograder.sandbox import _environment

    monkeypatch.setenv("JPY_SESSION_NAME", "/home/instructor/grading.ipynb")
    env = kernel_environment({"JPY_SESSION_NAME": "x", "ROOF_FOLDER": "r", "PATH": "/bin"})
    assert env == {"PATH": "/bin", BATCH_RUN_ENV: "1"}
    sandboxed = _environment(Path("/submission"), 1, "")
    assert "JPY_SESSION_NAME" not in sandboxed and sandboxed[BATCH_RUN_ENV] == "1"


def test_colab_checks_the_browser_copy_and_offers_the_clean_copy(tmp_path, monkeypatch, capsys):
    """Colab hands over the notebook as the browser has it, under its Drive name; the check's
    clean copy goes to hand-in/ in the session folder and is downloaded."""
    released = json.loads(RELEASED_01.read_text())
    released["metadata"]["colab"] = {"name": "Copy of 01_mlp_backprop.ipynb"}
    requests, downloads, runs = [], [], []

    def blocking_request(kind, request="", timeout_sec=None):
        requests.append(kind)
        return {"ipynb": released}

    def run_check(notebook, dest, timeout, log):
        runs.append((notebook.name, json.loads(notebook.read_text()) == released, dest))
        return dest / "01_mlp_backprop.ipynb"

    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    colab._message = types.SimpleNamespace(blocking_request=blocking_request)
    colab.files = types.SimpleNamespace(download=downloads.append)
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(frontend, "_run_check", run_check)
    monkeypatch.chdir(tmp_path)
    check_hand_in()
    assert requests == ["get_ipynb"]
    assert runs == [("Copy of 01_mlp_backprop.ipynb", True, tmp_path / "hand-in")]
    assert downloads == [str(tmp_path / "hand-in" / "01_mlp_backprop.ipynb")]
    assert "as last saved" not in capsys.readouterr().out  # nothing to save in Colab


@pytest.mark.grading  # a kernel (a few seconds)
def test_the_last_cell_run_by_nbclient_does_not_check_again(tmp_path, monkeypatch):
    """A notebook run top to bottom by a course tool, started from a Jupyter session."""
    monkeypatch.setenv("JPY_SESSION_NAME", str(RELEASED_01))
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("from course_utils import check_hand_in\n\ncheck_hand_in()")
        ]
    )
    execute_notebook(nb, tmp_path, timeout=120)
    assert [o.get("text") for o in nb.cells[0].outputs] == [BATCH_RUN_MESSAGE + "\n"]


@pytest.mark.grading  # runs notebook 01 in the check's kernel (about 20 s)
def test_in_jupyter_the_check_runs_beside_and_prints_the_table(tmp_path, monkeypatch, capsys):
    """Under a Jupyter session the saved file is checked in a separate program, whose report
    is printed as it comes; the clean copy goes to hand-in/ beside the notebook."""
    notebook = tmp_path / "01_mlp_backprop.ipynb"
    shutil.copy(RELEASED_01, notebook)
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    check_hand_in()
    out = capsys.readouterr().out
    assert out.startswith(f"This checks {notebook} as last saved (")
    assert "save first (Ctrl+S)" in out
    assert "not implemented  test_relu" in out and "note:" not in out
    assert f"hand in: {tmp_path / 'hand-in' / '01_mlp_backprop.ipynb'}" in out
    assert "visible tests pass. This is not a grade" in out
    assert "WARNING" not in out  # the fresh kernel's start-up chatter stays out of the report
