"""One cgroup per sandboxed run, so the kernel itself enforces memory and process limits.

A cgroup counts what a process watchdog cannot see: pages held in tmpfs and ``/dev/shm`` are
charged to the cgroup of the process that wrote them, and every thread and process a submission
starts is counted by the ``pids`` controller. Two kinds of machine offer this:

* **cgroup v2** where the ``memory`` and ``pids`` controllers are (or can be) enabled for the
  children of the grader's own cgroup: the root cgroup of a container, or a delegated cgroup
  such as a systemd unit with ``Delegate=yes`` whose own processes live in a leaf;
* **cgroup v1** where the grader may create groups in the ``memory`` and ``pids`` hierarchies
  (root, or a delegated hierarchy).

Elsewhere :func:`create` returns None and :mod:`autograder.sandbox` relies on bounded tmpfs sizes,
its resident-memory watchdog (:mod:`autograder.watchdog`) and ``RLIMIT_NPROC`` instead (see
autograder/README.md).
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cgroup", "create", "mode"]

_CONTROLLERS = ("memory", "pids")
_counter = itertools.count()


@dataclass(frozen=True)
class _Hierarchy:
    version: int  # 1 or 2
    controllers: frozenset[str]
    own: Path  # the grader's own cgroup in this hierarchy


def _hierarchies() -> list[_Hierarchy]:
    """The grader's cgroups in every mounted hierarchy that holds memory or pids."""
    try:
        own = {}  # controller list ("" for v2) -> path
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            own[controllers] = path
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in mounts:
        fields = line.split()
        sep = fields.index("-")
        root, point, fstype, options = fields[3], fields[4], fields[sep + 1], fields[sep + 3]
        if fstype == "cgroup2" and "" in own:
            relative = os.path.relpath(own[""], root)
            directory = Path(point) / relative
            try:
                available = set((directory / "cgroup.controllers").read_text().split())
            except OSError:
                continue
            found.append(_Hierarchy(2, frozenset(available & set(_CONTROLLERS)), directory))
        elif fstype == "cgroup":
            names = set(options.split(",")) & set(_CONTROLLERS)
            key = next((k for k in own if names and set(k.split(",")) >= names), None)
            if key is not None:
                directory = Path(point) / os.path.relpath(own[key], root)
                found.append(_Hierarchy(1, frozenset(names), directory))
    return found


def _enable_v2(own: Path) -> bool:
    """Makes memory and pids available to the children of ``own``; False if that is not allowed."""
    control = own / "cgroup.subtree_control"
    try:
        enabled = set(control.read_text().split())
        missing = [c for c in _CONTROLLERS if c not in enabled]
        if missing:
            control.write_text(" ".join(f"+{c}" for c in missing))
    except OSError:  # EBUSY: the grader's cgroup holds processes; EACCES: not delegated
        return False
    return True


class Cgroup:
    """The cgroup(s) of one run: one directory (v2) or one per controller (v1)."""

    def __init__(self, version: int, directories: dict[str, Path]) -> None:
        self.version = version
        self.directories = directories  # controller -> directory

    @property
    def procs_files(self) -> list[Path]:
        """Where a process writes ``0`` to join (each directory once)."""
        return [d / "cgroup.procs" for d in dict.fromkeys(self.directories.values())]

    def oom_kills(self) -> int:
        """How many processes the kernel killed for crossing the memory limit."""
        memory = self.directories["memory"]
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (memory / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
            if self.version == 1:  # kernels without the oom_kill counter
                return int((memory / "memory.failcnt").read_text()) and 1
        except (OSError, ValueError):
            pass
        return 0

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            try:
                found |= {int(p) for p in procs.read_text().split()}
            except OSError:
                pass
        return found

    def kill(self) -> None:
        """Kills every process in the group, whatever sessions or namespaces it made."""
        kill_file = self.directories["memory"] / "cgroup.kill"
        if self.version == 2 and kill_file.exists():
            try:
                kill_file.write_text("1")
                return
            except OSError:
                pass
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def remove(self) -> None:
        """Kills what is left and removes the directories (best effort: never raises)."""
        deadline = time.monotonic() + 5
        while self.pids() and time.monotonic() < deadline:
            self.kill()
            time.sleep(0.05)
        for directory in dict.fromkeys(self.directories.values()):
            try:
                directory.rmdir()
            except OSError:
                pass


def _make(hierarchies: list[_Hierarchy], memory_bytes: int, processes: int) -> Cgroup | None:
    name = f"autograder-{os.getpid()}-{next(_counter)}"
    v2 = [h for h in hierarchies if h.version == 2 and h.controllers >= set(_CONTROLLERS)]
    if v2 and _enable_v2(v2[0].own):
        directory = v2[0].own / name
        settings = {"memory.max": memory_bytes, "memory.swap.max": 0, "pids.max": processes}
        directories = dict.fromkeys(_CONTROLLERS, directory)
        version = 2
    else:
        v1 = {c: h.own / name for h in hierarchies if h.version == 1 for c in h.controllers}
        if set(v1) < set(_CONTROLLERS):
            return None
        directories = {c: v1[c] for c in _CONTROLLERS}
        settings = {
            "memory.limit_in_bytes": memory_bytes,
            "memory.memsw.limit_in_bytes": memory_bytes,  # no swapping around the limit
            "pids.max": processes,
        }
        version = 1
    group = Cgroup(version, directories)
    try:
        for directory in dict.fromkeys(directories.values()):
            directory.mkdir()
        for key, value in settings.items():
            target = directories[key.split(".")[0]] / key
            try:
                target.write_text(str(value))
            except OSError:
                if key.startswith("memory.memsw") or key.endswith("swap.max"):
                    continue  # swap accounting is off: there is no swap to limit
                raise
    except OSError:
        group.remove()
        return None
    return group


def create(memory_bytes: int, processes: int) -> Cgroup | None:
    """A new cgroup limited to ``memory_bytes`` and ``processes`` tasks, or None where none can be made."""
    if mode() == "none":
        return None
    return _make(_hierarchies(), memory_bytes, processes)


@functools.cache
def mode() -> str:
    """``"cgroup v2"``, ``"cgroup v1"`` or ``"none"``: what :func:`create` gives on this machine."""
    group = _make(_hierarchies(), 2**30, 64)
    if group is None:
        return "none"
    group.remove()
    return f"cgroup v{group.version}"
