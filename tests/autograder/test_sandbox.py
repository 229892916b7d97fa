"""Attacks on autograder/sandbox.py from inside a submission, one test per threat class.

Each test runs a real notebook through ``run_isolated`` with the paths the grader gives it, as a
student who has read this repository would write it, and asserts that the attack gains nothing
and leaves nothing behind. The attacker is root-minded: it calls ``umount2`` and ``mount`` itself,
tries to make a user namespace of its own, and kills the executor to leave planted files for the
grader. The class-level version (one attacker among honest classmates, through ``grade``) is in
tests/autograder/test_robustness.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder import cgroup
from autograder.execution import sandbox_paths
from autograder.sandbox import Limits, isolation_problem, read_regular_file, run_isolated

pytestmark = [
    pytest.mark.grading,
    pytest.mark.skipif(
        isolation_problem() is not None, reason=f"no sandbox: {isolation_problem()}"
    ),
]

LIMITS = Limits(cell_seconds=30, notebook_seconds=90, memory_bytes=2**30, tmp_bytes=32 * 2**20)
_PRELUDE = """\
import ctypes, json, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
def attempt(fn):
    try:
        result = fn()
        return f"succeeded: {result!r}"
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
def umount(path):
    if libc.umount2(path.encode(), 2) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
def mount_tmpfs(path):
    if libc.mount(b"none", path.encode(), b"tmpfs", 0, b"size=1g") != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
def report(**found):
    print("REPORT " + json.dumps(found))
"""


def _run(tmp_path: Path, attack: str, limits: Limits = LIMITS, *, hide=()):
    """Runs the attack as a one-cell notebook; returns (RunResult, the report it printed)."""
    work = tmp_path / "work"
    work.mkdir()
    notebook = new_notebook(cells=[new_code_cell(_PRELUDE + attack)])
    readonly, hidden = sandbox_paths()
    result = run_isolated(
        notebook, work, tmp_path / "executor.log", limits, readonly=readonly, hide=[*hidden, *hide]
    )
    report = {}
    for cell in result.notebook.cells if result.notebook else []:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                if line.startswith("REPORT "):
                    report = json.loads(line[len("REPORT ") :])
    return result, report


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def test_no_capabilities_no_unmount_no_mount_no_namespace(tmp_path):
    """Threat 1: the student cannot lift what hides the private folders, nor gain capabilities."""
    secret = Path(sandbox_paths()[1][0]) / "tiny" / "tiny.ipynb"  # the demo's solution
    assert secret.is_file()
    attack = f"""
status = open("/proc/self/status").read()
report(
    caps=[l for l in status.splitlines() if l.startswith(("CapEff", "CapPrm", "NoNewPrivs"))],
    uid=os.getuid(),
    umount_hide=attempt(lambda: umount({str(secret.parent.parent)!r})),
    umount_root=attempt(lambda: umount("/")),
    mount=attempt(lambda: mount_tmpfs("/tmp")),
    userns=attempt(lambda: subprocess.run(["unshare", "-Ur", "true"], check=True)),
    secret=attempt(lambda: open({str(secret)!r}).read()[:50]),
)
"""
    result, report = _run(tmp_path, attack)
    assert result.status == "ok", result.message
    assert report["caps"] == [
        "CapPrm:\t0000000000000000",
        "CapEff:\t0000000000000000",
        "NoNewPrivs:\t1",
    ]
    assert report["uid"] != 0
    for key in ("umount_hide", "umount_root", "mount", "userns", "secret"):
        assert report[key].startswith("failed"), (key, report[key])


def test_host_is_read_only_and_private_folders_are_absent(tmp_path):
    """Threat 2: nothing outside the working folder can be written, and nothing private is there."""
    readonly, _ = sandbox_paths()
    venv = Path(sys.prefix)
    repo = readonly[0].parent
    before = [_digest(readonly[0]), _digest(readonly[1])]
    home = Path.home()
    targets = {
        "course_utils": readonly[0] / "checks.py",
        "new_module": readonly[0] / "evil.py",
        "venv_pth": venv / "lib" / "evil.pth",
        "venv_bin": Path(sys.executable),
        "home": home / "evil.txt",
        "etc": Path("/etc/evil"),
        "root": Path("/evil"),
    }
    canary = home / f".autograder-canary-{os.getpid()}"  # the instructor's own files
    canary.write_text("private")
    private = [repo / "solutions", repo / "tests", repo / ".git", canary, tmp_path / "executor.log"]
    attack = f"""
writes = {{k: attempt(lambda p=p: open(p, "a").write("x")) for k, p in { ({k: str(v) for k, v in targets.items()})!r}.items()}}
visible = [p for p in {[str(p) for p in private]!r} if os.path.exists(p)]
open("/tmp/left-behind", "w").write("x"); open("/dev/shm/left-behind", "w").write("x")
report(writes=writes, visible=visible, workdir=attempt(lambda: open("mine.txt", "w").write("ok")))
"""
    try:
        result, report = _run(tmp_path, attack)
    finally:
        canary.unlink()
    assert result.status == "ok", result.message
    assert all(v.startswith("failed") for v in report["writes"].values()), report["writes"]
    assert report["visible"] == []
    assert report["workdir"] == "succeeded: 2"
    assert [_digest(readonly[0]), _digest(readonly[1])] == before
    assert not (readonly[0] / "evil.py").exists() and not (home / "evil.txt").exists()
    # A later run starts with an empty /tmp and /dev/shm: nothing survived the first.
    (tmp_path / "later").mkdir()
    left = 'report(left=[p for p in ("/tmp/left-behind", "/dev/shm/left-behind") if os.path.exists(p)])'
    later, report = _run(tmp_path / "later", left)
    assert later.status == "ok" and report["left"] == []


def test_planted_links_and_folders_never_reach_the_grader(tmp_path):
    """Threat 3: links and folders planted where the grader reads cannot make it read or write elsewhere."""
    victim = tmp_path / "victim.txt"
    victim.write_text("instructor's file")
    attack = f"""
import signal
os.symlink({str(victim)!r}, "link.tmp")
os.replace("link.tmp", "results.json")  # after the executor's last save
os.mkdir("outcome.json"); os.symlink({str(victim)!r}, "executor.log")
os.kill(os.getppid(), signal.SIGKILL)  # no executor left to repair the folder
"""
    result, _ = _run(tmp_path, attack)
    assert result.status == "crashed" and result.notebook is None
    assert victim.read_text() == "instructor's file"
    assert (tmp_path / "executor.log").is_file() and not (tmp_path / "executor.log").is_symlink()
    # and the reader itself: a link, a folder or a FIFO reads as nothing
    (tmp_path / "link").symlink_to(victim)
    os.mkfifo(tmp_path / "fifo")
    for name in ("link", "fifo", "work"):
        assert read_regular_file(tmp_path / name, 2**20) is None
    assert read_regular_file(victim, 5) is None and read_regular_file(victim, 100) is not None


def test_no_network_but_a_private_loopback(tmp_path):
    """Threat 4: a port and an abstract socket the host opened on loopback are out of reach."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind("\0autograder-test-sandbox")
    abstract.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    attack = f"""
import socket
def connect(address, family=socket.AF_INET):
    with socket.socket(family) as s:
        s.settimeout(3)
        s.connect(address)
own = socket.create_server(("127.0.0.1", 0))
report(
    host_port=attempt(lambda: connect(("127.0.0.1", {port}))),
    abstract=attempt(lambda: connect("\\0autograder-test-sandbox", socket.AF_UNIX)),
    outside=attempt(lambda: connect(("10.0.0.1", 80))),
    own_loopback=attempt(lambda: connect(own.getsockname())),
)
"""
    try:
        result, report = _run(tmp_path, attack)
    finally:
        server.close()
        abstract.close()
    assert result.status == "ok", result.message
    assert report["host_port"].startswith("failed") and report["abstract"].startswith("failed")
    assert report["outside"].startswith("failed")
    assert report["own_loopback"] == "succeeded: None"  # the kernel's own loopback works
    assert accepted == []


def test_tmp_and_shm_are_bounded(tmp_path):
    """Threat 5a: /dev/shm and /tmp fill up at their size; memory held there does not escape."""
    attack = """
def fill(path):
    with open(path, "wb") as f:
        for _ in range(64):
            f.write(b"x" * 2**20)
report(shm=attempt(lambda: fill("/dev/shm/big")), tmp=attempt(lambda: fill("/tmp/big")))
"""
    result, report = _run(tmp_path, attack)
    assert result.status == "ok", result.message
    assert report == {"shm": "failed: OSError", "tmp": "failed: OSError"}  # ENOSPC at 32 MiB


@pytest.mark.skipif(cgroup.mode() == "none", reason="no cgroup on this machine")
def test_memory_in_tmpfs_counts_against_the_limit(tmp_path):
    """Threat 5b: with a cgroup, pages held in /dev/shm count as the submission's memory."""
    limits = Limits(cell_seconds=60, notebook_seconds=120, memory_bytes=384 * 2**20,
                    tmp_bytes=2**30)  # fmt: skip
    attack = """
for i in range(30):  # 900 MiB in files under the 64 MiB file cap
    with open(f"/dev/shm/big{i}", "wb") as f:
        for _ in range(30):
            f.write(b"x" * 2**20)
report(survived=True)
"""
    result, report = _run(tmp_path, attack, limits)
    assert result.status == "crashed" and "memory" in result.message, result
    assert report == {}


@pytest.mark.skipif(
    cgroup.mode() == "none" and os.geteuid() == 0,
    reason="no cgroup, and RLIMIT_NPROC does not hold for root",
)
def test_process_count_is_limited(tmp_path):
    """Threat 5c: a fork bomb (bounded here) stops at the process limit."""
    limits = Limits(cell_seconds=60, notebook_seconds=120, processes=96)
    attack = """
import time
started, refused = [], None
for _ in range(200):
    try:
        started.append(subprocess.Popen(["sleep", "30"]))
    except OSError as exc:
        refused = type(exc).__name__
        break
for p in started:
    p.kill()
report(started=len(started), refused=refused)
"""
    result, report = _run(tmp_path, attack, limits)
    assert result.status == "ok", result.message
    assert report["refused"] is not None and report["started"] < 96


def test_host_processes_are_invisible(tmp_path):
    """Threat 5d: /proc shows only the sandbox's own processes, and cannot be remounted."""
    # This process's command line (pytest's, or an xdist worker's) marks the host's processes.
    host = Path("/proc/self/cmdline").read_text()
    attack = f"""
pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
cmdlines = [open(f"/proc/{{p}}/cmdline").read() for p in pids]
report(
    count=len(pids),
    grader_seen={host!r} in cmdlines,
    host_pid={os.getpid()} in pids and open("/proc/{os.getpid()}/cmdline").read() == {host!r},
    remount=attempt(lambda: libc.mount(b"proc", b"/proc", b"proc", 0, None) == 0 or 1 / 0),
)
"""
    result, report = _run(tmp_path, attack)
    assert result.status == "ok", result.message
    assert report["count"] < 10 and not report["grader_seen"] and not report["host_pid"]
    assert report["remount"].startswith("failed")


def test_files_are_capped_in_size(tmp_path):
    """A file larger than ``file_bytes`` cannot be written, in the working folder or anywhere."""
    limits = Limits(cell_seconds=30, notebook_seconds=90, file_bytes=16 * 2**20)
    attack = """
def fill():  # Python ignores SIGXFSZ, so the write fails instead of killing the kernel
    with open("huge.bin", "wb") as f:
        for _ in range(32):
            f.write(b"x" * 2**20)
report(huge=attempt(fill), size=os.path.getsize("huge.bin"))
"""
    result, report = _run(tmp_path, attack, limits)
    assert result.status == "ok", result.message
    assert report["huge"].startswith("failed") and report["size"] <= 16 * 2**20


def test_cells_still_to_come_cannot_be_read(tmp_path):
    """The notebook is never a file in the sandbox, and the executor's memory is closed to the kernel."""
    attack = """
import glob
secret = "HIDDEN" + "-TEST-7919"
found = []
for path in glob.glob("/submission/**", recursive=True) + glob.glob("/tmp/**", recursive=True):
    if os.path.isfile(path) and secret in open(path, errors="replace").read():
        found.append(path)
executor = os.getppid()
def memory():
    with open(f"/proc/{executor}/mem", "rb") as f:
        return f.read(1)
report(
    found=found,
    stdin=attempt(lambda: os.readlink(f"/proc/{executor}/fd/0")),
    mem=attempt(memory),
    environ=attempt(lambda: open(f"/proc/{executor}/environ").read()[:10]),
)
"""
    work = tmp_path / "work"
    work.mkdir()
    hidden = new_code_cell('print("HIDDEN-TEST-7919")')
    notebook = new_notebook(cells=[new_code_cell(_PRELUDE + attack), hidden])
    readonly, hide = sandbox_paths()
    result = run_isolated(notebook, work, tmp_path / "log", LIMITS, readonly=readonly, hide=hide)
    assert result.status == "ok", result.message
    text = result.notebook.cells[0].outputs[0]["text"]
    report = json.loads(text.split("REPORT ", 1)[1])
    assert report["found"] == []
    for key in ("stdin", "mem", "environ"):
        assert report[key].startswith("failed"), (key, report[key])
    assert result.notebook.cells[1].outputs[0]["text"] == "HIDDEN-TEST-7919\n"


def test_only_outputs_come_back_from_the_sandbox():
    """A forged results file cannot change a cell's source or metadata, and a malformed one reads as nothing."""
    from autograder.sandbox import _merged

    notebook = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("check()")])
    forged = {
        "status": "ok",
        "message": "",
        "cells": {"1": {"outputs": [{"output_type": "stream", "name": "stdout", "text": "ok\n"}],
                        "execution_count": 1, "source": "pass", "metadata": {"nbgrader": {}}}},
    }  # fmt: skip
    merged, status = _merged(notebook, json.dumps(forged).encode())
    assert [c.source for c in merged.cells] == ["x = 1", "check()"]
    assert merged.cells[1].metadata == notebook.cells[1].metadata
    assert merged.cells[1].outputs[0]["text"] == "ok\n" and status["status"] == "ok"
    for bad in (b"", b"{", b'{"cells": {"9": {}}}', b'{"cells": {"0": {"outputs": [{"x": 1}]}}}'):
        assert _merged(notebook, bad) == (None, {})


def test_read_only_folders_under_tmp_stay_visible(tmp_path):
    """A course or Python under /tmp (a CI clone) is not covered by the private /tmp."""
    shared = tmp_path / "course"
    shared.mkdir()
    (shared / "data.txt").write_text("shared")
    work = tmp_path / "work"
    work.mkdir()
    attack = f"report(data=open({str(shared / 'data.txt')!r}).read(), write=attempt(lambda: open({str(shared / 'x')!r}, 'w')))"
    notebook = new_notebook(cells=[new_code_cell(_PRELUDE + attack)])
    readonly, hide = sandbox_paths()
    result = run_isolated(
        notebook, work, tmp_path / "log", LIMITS, readonly=[*readonly, shared], hide=hide
    )
    report = json.loads(result.notebook.cells[0].outputs[0]["text"].split("REPORT ", 1)[1])
    assert report["data"] == "shared" and report["write"].startswith("failed")
