"""Does the course work in a real browser: JupyterLab in headless Chromium, nbgrader loaded?

A JupyterLab server runs on loopback over a throwaway nbgrader course holding copies of notebook
01 (``source/`` the solution, ``release/`` the student version). Headless Chromium, driven by
Playwright with Debian's ``chromium`` binary (Playwright never downloads a browser here), opens
each notebook through the app's own command registry (``window.jupyterapp``, exposed with
``LabApp.expose_app_in_browser``), runs all cells and reads the results from the notebook model
the page renders. Screenshots go to ``$CI_ARTIFACTS/browser/`` (default ``test-artifacts/``).

Skipped when Playwright or a Chromium binary is missing (``.ci/run`` installs Debian's
``chromium``; set ``CHROMIUM=/path/to/chrome`` to use another build).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autograder.course import COURSE_ID, RELEASE_DIR, REPO_ROOT, source_notebook

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

ASSIGNMENT = "01_mlp_backprop"
#: What the brief and CI ask of Chromium: headless, no sandbox (CI runs as root), no GPU, and
#: nothing that reaches outside the loopback server.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 90  # JupyterLab cold start, nbgrader's extensions included
PAGE_READY_S = 60  # the lab page loads and restores
KERNEL_READY_S = 60
STUDENT_RUN_S = 90  # runs until the first unimplemented exercise
SOLUTION_RUN_S = 240  # the whole solution: about a minute headless on 2 cores


def _chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _artifacts() -> Path:
    folder = Path(os.environ.get("CI_ARTIFACTS") or REPO_ROOT / "test-artifacts") / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server: where it listens, its token and its course root."""

    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen

    def get(self, path: str, timeout: float = 60.0) -> tuple[int, str, str]:
        """GET ``path`` with the token header; returns (status, final URL, body)."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.url, err.read().decode(errors="replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _make_course(root: Path) -> None:
    """An nbgrader course: config, the solution as ``source/`` and the student copy as ``release/``."""
    for folder, notebook in (
        ("source", source_notebook(ASSIGNMENT)),
        ("release", REPO_ROOT / RELEASE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
    ):
        dest = root / folder / ASSIGNMENT
        dest.mkdir(parents=True)
        shutil.copy(notebook, dest / notebook.name)
    # nbgrader's server extensions read nbgrader_config.py from the server's working directory;
    # formgrader refuses to work (500) unless the course root lies inside the server's root_dir.
    settings = {
        "CourseDirectory.root": str(root),
        "CourseDirectory.course_id": COURSE_ID,
        "CourseDirectory.db_url": f"sqlite:///{root / 'gradebook.db'}",
        "Exchange.root": str(root / "exchange"),
    }
    lines = [f"c.{name} = {value!r}" for name, value in settings.items()]
    (root / "nbgrader_config.py").write_text("\n".join(["c = get_config()", *lines, ""]))
    (root / "exchange").mkdir()


def _stop(process: subprocess.Popen) -> None:
    """Stops the server and every kernel it started (its own process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium binary, or a skip saying how to get one."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path = _chromium()
    if path is None:
        pytest.skip("no Chromium binary: `apt-get install chromium` (.ci/run does) or set CHROMIUM")
    return path


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with a fresh token, config, settings and course; stopped after."""
    home = Path(tempfile.mkdtemp(prefix="course-browser-"))
    root = home / "course"
    root.mkdir()
    _make_course(root)
    token, port = secrets.token_hex(16), _free_port()
    env = {
        **os.environ,
        # Nothing from the user's own Jupyter setup (config, settings, workspaces, kernelspecs)
        # leaks in; the python3 kernel is this interpreter's ipykernel.
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        # Kernels import course_utils from this checkout, installed or not.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        # nbgrader's gradebook runs `alembic` through PATH: without this venv's scripts folder
        # on PATH (an unactivated venv) every formgrader API call fails with a 500.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    # No "get notified about Jupyter news?" toast over the screenshots, and no news fetches.
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--ServerApp.port_retries=0",
        "--ServerApp.allow_root=True",  # CI containers run as root
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = _artifacts() / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Lab(f"http://127.0.0.1:{port}", token, root, log, process)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
            try:
                if server.get("/api/status", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"JupyterLab did not answer in {SERVER_START_S} s:\n{server.log_tail()}"
                )
            time.sleep(0.5)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser_context(lab: Lab, chromium: str) -> Iterator[Any]:
    """One headless Chromium (fresh profile) for the module, closed with its Playwright driver."""
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="course-chromium-"))
    with sync_playwright() as playwright:
        # A persistent context is Playwright's way to pass --user-data-dir (a fresh, empty one).
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
            timeout=60_000,
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: Any, lab: Lab) -> Iterator[Any]:
    """A JupyterLab tab, fully started, with the app's command registry reachable."""
    tab = browser_context.new_page()
    tab.set_default_timeout(PAGE_READY_S * 1000)
    console: list[str] = []
    tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    tab.goto(f"{lab.url}/lab?reset&token={lab.token}", wait_until="domcontentloaded")
    tab.wait_for_function("() => window.jupyterapp !== undefined", timeout=PAGE_READY_S * 1000)
    _evaluate(tab, "async () => { await jupyterapp.started; await jupyterapp.restored; }", 60)
    try:
        yield tab
    finally:
        with (_artifacts() / "console.log").open("a") as log:
            log.write("\n".join(console) + "\n")
        tab.close()


# JavaScript run in the page. Every await is raced against a timer so that no step can hang.
_JS_HELPERS = """
window.__withTimeout = (promise, ms, what) => Promise.race([
  promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)),
]);
"""

_OPEN_NOTEBOOK = """
async ([path, ms]) => {
  const panel = await __withTimeout(
    jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'}), ms, 'open');
  await __withTimeout(panel.context.ready, ms, 'load');
  await __withTimeout(panel.sessionContext.ready, ms, 'kernel session');
  await __withTimeout(panel.revealed, ms, 'reveal');
  window.__panel = panel;
  return panel.content.widgets.length;
}
"""

_KERNEL_IDLE = """
() => {
  const kernel = window.__panel?.sessionContext?.session?.kernel;
  return kernel !== undefined && kernel !== null && kernel.connectionStatus === 'connected'
    && kernel.status === 'idle';
}
"""

_RUN_ALL = """
() => {
  window.__runDone = false;
  window.__runError = null;
  jupyterapp.commands.execute('notebook:run-all-cells').then(
    () => { window.__runDone = true; },
    (error) => { window.__runError = String(error); });
}
"""

_RUN_FINISHED = """
() => {
  if (window.__runError !== null) return true;
  const kernel = window.__panel.sessionContext.session?.kernel;
  const busy = window.__panel.content.widgets.some(
    (cell) => cell.model.type === 'code' && cell.model.executionState === 'running');
  return window.__runDone && !busy && kernel?.status === 'idle';
}
"""


def _evaluate(tab: Any, script: str, timeout_s: float, arg: Any = None) -> Any:
    if not tab.evaluate("() => window.__withTimeout !== undefined"):
        tab.evaluate(f"() => {{ {_JS_HELPERS} }}")
    wrapped = (
        f"(arg) => __withTimeout(Promise.resolve(({script})(arg)), {int(timeout_s * 1000)}, 'step')"
    )
    return tab.evaluate(wrapped, arg)


def _run_all(tab: Any, path: str, timeout_s: float, shot: str) -> tuple[dict, float]:
    """Opens ``path``, runs all its cells, waits for the kernel; returns (notebook JSON, seconds)."""
    rendered = _evaluate(tab, _OPEN_NOTEBOOK, 90, [path, 60_000])
    assert rendered > 0, f"{path}: the notebook rendered no cells"
    tab.wait_for_function(_KERNEL_IDLE, timeout=KERNEL_READY_S * 1000)
    start = time.monotonic()
    tab.evaluate(_RUN_ALL)
    try:
        tab.wait_for_function(_RUN_FINISHED, timeout=timeout_s * 1000, polling=500)
    finally:
        tab.screenshot(path=str(_artifacts() / shot))
    seconds = time.monotonic() - start
    with (_artifacts() / "timings.txt").open("a") as log:
        log.write(f"{path}: run all {seconds:.1f} s\n")
    error = tab.evaluate("() => window.__runError")
    assert error is None, f"{path}: notebook:run-all-cells failed in the page: {error}"
    # What the page holds is what the user sees: the model behind the rendered cells.
    notebook = tab.evaluate("() => window.__panel.content.model.toJSON()")
    return notebook, seconds


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _errors(cell: dict) -> list[dict]:
    return [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def _cell_text(tab: Any, index: int) -> str:
    """The text the page renders for cell ``index`` (scrolled into view for the screenshot)."""
    return _evaluate(
        tab,
        """async (index) => {
             const notebook = window.__panel.content;
             notebook.activeCellIndex = index;
             await notebook.scrollToItem(index, 'center');
             return notebook.widgets[index].node.textContent;
           }""",
        30,
        index,
    )


def test_formgrader_answers(lab: Lab):
    """Does nbgrader's formgrader page answer with the token, and does its API see the course?"""
    status, url, body = lab.get("/formgrader")
    assert status == 200, f"GET /formgrader: {status}\n{body[:500]}\n{lab.log_tail()}"
    assert url.endswith("/formgrader/manage_assignments"), url
    assert "nbgrader formgrade" in body and "Manage Assignments" in body
    status, _, body = lab.get("/formgrader/api/assignments")
    assert status == 200, f"GET /formgrader/api/assignments: {status}\n{body[:500]}"
    assert ASSIGNMENT in [a["name"] for a in json.loads(body)], body[:500]


def test_nbgrader_lab_extensions_load(page: Any):
    """Are nbgrader's JupyterLab commands registered, and does its formgrader open inside the lab?"""
    commands = [
        "nbgrader:open-formgrader",
        "nbgrader:open-assignment-list",
        "nbgrader:open-course-list",
        "nbgrader:open-create-assignment",
    ]
    missing = page.evaluate(
        "(ids) => ids.filter((id) => !jupyterapp.commands.hasCommand(id))", commands
    )
    assert missing == [], f"nbgrader's lab extension did not register {missing}"
    _evaluate(page, "() => jupyterapp.commands.execute('nbgrader:open-formgrader')", 30)
    frame = page.wait_for_selector("iframe[src*='formgrader']", timeout=30_000).content_frame()
    frame.wait_for_selector("text=Manage Assignments", timeout=30_000)
    page.screenshot(path=str(_artifacts() / "formgrader.png"))


def test_student_notebook_reports_not_implemented(page: Any):
    """Run all on the student notebook: it renders, and the first exercise's test cell shows NotImplementedError."""
    path = f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    notebook, seconds = _run_all(page, path, STUDENT_RUN_S, "student-run-all.png")
    cells = notebook["cells"]
    first_test = next(
        i
        for i, c in enumerate(cells)
        if c["metadata"].get("nbgrader", {}).get("grade") and c["cell_type"] == "code"
    )
    errors = _errors(cells[first_test])
    assert errors, f"{_grade_id(cells[first_test])} shows no error after Run All ({seconds:.0f} s)"
    assert errors[0]["ename"] == "NotImplementedError", errors[0]
    # Every code cell before it ran without error: the setup and import cells work in a browser.
    for cell in cells[:first_test]:
        if cell["cell_type"] == "code":
            assert cell["execution_count"] is not None, _grade_id(cell)
            assert not _errors(cell), (_grade_id(cell), _errors(cell))
    text = _cell_text(page, first_test)
    page.screenshot(path=str(_artifacts() / "student-first-exercise.png"))
    assert "NotImplementedError" in text, text[-500:]


def test_solution_notebook_runs_without_error(page: Any):
    """Run all on the solution notebook: every code cell runs and none shows an error."""
    path = f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    notebook, seconds = _run_all(page, path, SOLUTION_RUN_S, "solution-run-all.png")
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    not_run = [_grade_id(c) for c in code if c["execution_count"] is None]
    assert not_run == [], f"cells that did not run: {not_run}"
    failed = {_grade_id(c): _errors(c)[0]["ename"] for c in code if _errors(c)}
    assert failed == {}, f"error outputs after Run All ({seconds:.0f} s): {failed}"
    # The same seen from the page: no traceback rendered anywhere in the notebook.
    text = page.evaluate("() => window.__panel.content.node.textContent")
    assert "Traceback (most recent call last)" not in text
