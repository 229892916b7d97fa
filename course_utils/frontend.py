"""``check_hand_in()``: the "ready to hand in?" check from the last cell of a notebook.

It finds the notebook being edited, then runs the check (:mod:`course_utils.handin`) as a
separate program, ``python -m course_utils.handin``, so that nbclient's event loop never runs
inside the student's own kernel, and prints its report as it comes. Where the notebook is:

* Colab: the browser's current state of the notebook, through Colab's ``get_ipynb`` request
  (nothing needs saving); the clean copy is then offered for download;
* JupyterLab or Notebook: the file named by ``__session__`` (which ipykernel takes from the
  ``JPY_SESSION_NAME`` that jupyter_server gives the kernel), as last saved;
* VS Code: the file named by ``__vsc_ipynb_file__``, as last saved;
* anywhere, the ``path`` given, which wins: a student who names a file means that one.

Every run of a whole notebook executes its last cell too: the check's own kernel, the grader's,
a reference run, the test suite. Those kernels carry :data:`course_utils.kernels.BATCH_RUN_ENV`
and no frontend variables, so the call there prints one line and returns; so it does wherever
no frontend is found.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from course_utils.handin import COURSE_ROOT, HAND_IN_PREFIX, HandInError
from course_utils.kernels import BATCH_RUN_ENV, CELL_FLOOR

__all__ = ["BATCH_RUN_MESSAGE", "NO_FRONTEND_MESSAGE", "check_hand_in", "find_notebook"]

BATCH_RUN_MESSAGE = (
    "(The hand-in check does not run here: this kernel is running the whole notebook for the "
    "check or the grader.)"
)
NO_FRONTEND_MESSAGE = (
    "No notebook frontend found, so there is nothing to check: pass the notebook's path, "
    'check_hand_in("01_mlp_backprop.ipynb"), or run `python -m autograder check NOTEBOOK` '
    "(or `python -m course_utils.handin NOTEBOOK`) in a terminal."
)
_COLAB = "google.colab"


def _user_namespace() -> dict:
    """The running IPython kernel's namespace, or {} outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return getattr(shell, "user_ns", None) or {}


def _session_file(session: str) -> Path | None:
    """The file a Jupyter session names: an absolute path, or one relative to the server's root,
    which is the kernel's folder or one above it."""
    named = Path(session).expanduser()
    here = Path.cwd()
    candidates = (
        [named] if named.is_absolute() else [base / named for base in (here, *here.parents)]
    )
    return next((p for p in candidates if p.is_file()), None)


def _colab_notebook(folder: Path) -> Path:
    """Colab's current state of the notebook, written to ``folder`` under the notebook's name."""
    from google.colab import _message  # Colab's own channel to the browser

    reply = _message.blocking_request("get_ipynb", request="", timeout_sec=30)
    if not isinstance(reply, dict) or not isinstance(reply.get("ipynb"), dict):
        raise HandInError(
            "Colab did not hand over the notebook: use File > Download > Download .ipynb and "
            "check the downloaded file with `python -m autograder check FILE`."
        )
    nb = reply["ipynb"]
    name = str(nb.get("metadata", {}).get("colab", {}).get("name") or "notebook.ipynb")
    name = Path(name).name if name.endswith(".ipynb") else f"{Path(name).name}.ipynb"
    target = folder / name
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


def find_notebook(path: str | os.PathLike | None, folder: Path) -> tuple[Path, bool] | None:
    """The notebook to check, and whether it is the browser's copy (Colab: written to
    ``folder``) rather than a file as last saved; None when no frontend says which."""
    if path is not None:
        return Path(path), False
    if _COLAB in sys.modules:
        return _colab_notebook(folder), True
    namespace = _user_namespace()
    session = namespace.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    found = _session_file(str(session)) if session else None
    vscode = namespace.get("__vsc_ipynb_file__")
    if found is None and vscode and Path(vscode).is_file():
        found = Path(vscode)
    return (found, False) if found else None


def _stop(proc: subprocess.Popen) -> None:
    """Stops the check as Ctrl+C would, so that it shuts its kernel down; kills it if it hangs."""
    try:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    except (ValueError, OSError, subprocess.TimeoutExpired):  # no SIGINT on Windows
        proc.kill()
        proc.wait()


def _run_check(notebook: Path, dest: Path | None, timeout: int, log: Path) -> Path | None:
    """Runs ``python -m course_utils.handin`` on ``notebook``, printing its report as it comes.
    Returns the clean copy it wrote, if any.

    Its stderr (the fresh kernel's start-up chatter among it) goes to ``log``, shown only when
    the check could not report.
    """
    command = [
        sys.executable,
        "-m",
        "course_utils.handin",
        str(notebook),
        "--timeout",
        str(timeout),
    ]
    command += ["--dest", str(dest)] if dest else []
    # The kernel may have found the course on sys.path only (Colab's setup cell puts it there).
    pythonpath = os.pathsep.join(filter(None, [str(COURSE_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONIOENCODING": "utf-8"}
    clean = None
    with open(log, "w+", encoding="utf-8", errors="replace") as errors:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            encoding="utf-8",
            errors="replace",
        )
        try:
            for line in proc.stdout:
                print(line, end="", flush=True)
                if line.startswith(HAND_IN_PREFIX):
                    clean = Path(line[len(HAND_IN_PREFIX) :].strip())
            proc.wait()
        except KeyboardInterrupt:  # the student stopped the cell: stop the check's kernel too
            _stop(proc)
            print("The check was stopped.")
            return None
        if proc.returncode not in (0, 1):  # 2: the file cannot be checked; else it crashed
            errors.seek(0)
            said = [line for line in errors.read().splitlines() if line.startswith("error: ")]
            print("\n".join(said) or f"The check stopped (exit status {proc.returncode}).")
    return clean


def check_hand_in(path: str | os.PathLike | None = None, *, timeout: int = CELL_FLOOR) -> None:
    """Ready to hand in? Runs this notebook again from the top in a fresh kernel and prints which
    visible tests pass, which fail and which exercises are unimplemented, what the grader would
    repair, and where the clean copy to hand in is (see the module docstring).

    Args:
        path: the notebook to check (default: the one this kernel's frontend is editing).
        timeout: seconds any one cell may run (default: the grader's floor).
    """
    if os.environ.get(BATCH_RUN_ENV):
        print(BATCH_RUN_MESSAGE)
        return
    with tempfile.TemporaryDirectory(prefix="hand-in-") as tmp:
        try:
            found = find_notebook(path, Path(tmp))
        except HandInError as exc:
            print(exc)
            return
        if found is None:
            print(NO_FRONTEND_MESSAGE)
            return
        notebook, in_colab = found
        if not in_colab and notebook.is_file():
            saved = datetime.fromtimestamp(notebook.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
            print(
                f"This checks {notebook} as last saved ({saved}): "
                "save first (Ctrl+S) if you have changed it since."
            )
        # In Colab the copy stays in the session's folder (/content), beside the file browser.
        dest = Path.cwd() / "hand-in" if in_colab else None
        clean = _run_check(notebook, dest, timeout, Path(tmp) / "check.log")
    if clean is not None and in_colab:
        from google.colab import files

        files.download(str(clean))
