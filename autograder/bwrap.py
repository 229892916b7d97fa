"""The bubblewrap command line of one sandboxed run: its namespaces and the filesystem it sees.

:mod:`autograder.sandbox` runs the executor under it. :func:`bwrap_options` builds the view
described there: the system folders, this Python and the course's read-only folders, a private
``/tmp`` and ``/dev/shm``, and the working folder as :data:`SANDBOX_WORKDIR`, nothing else.
:func:`bwrap_command` hands the options to ``bwrap`` through a pipe.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["SANDBOX_WORKDIR", "bwrap_command", "bwrap_options"]

#: The working folder as the submission sees it.
SANDBOX_WORKDIR = Path("/submission")
_UID = 1000
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def _python_paths() -> list[Path]:
    """This interpreter's installation and environment (a venv and its base Python)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.add(str(Path(os.path.realpath(sys.executable)).parents[1]))
    return [Path(p) for p in sorted(paths)]


def bwrap_options(
    workdir: Path, tmp_bytes: int, readonly: Sequence[Path], hide: Sequence[Path]
) -> list[str]:
    """bwrap's options for one run (``bwrap OPTIONS -- COMMAND``).

    Args:
        workdir: the submission's working folder, shown read-write as :data:`SANDBOX_WORKDIR`.
        tmp_bytes: the size of each of the private ``/tmp`` and ``/dev/shm``.
        readonly: folders shown read-only besides the system and this Python.
        hide: folders inside those shown that are covered by an empty one.
    """
    args = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL", "--uid", str(_UID), "--gid", str(_UID),
            "--hostname", "sandbox"]  # fmt: skip
    for name in _SYSTEM:
        if os.path.islink(name):  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    args += ["--proc", "/proc", "--dev", "/dev", "--ro-bind-try", "/sys", "/sys"]
    for device in sorted(Path("/dev").glob("nvidia*")):  # a GPU, where the machine has one
        args += ["--dev-bind", str(device), str(device)]
    # The private /tmp comes before the binds: Python or the course may live under /tmp (a CI
    # clone), and a later tmpfs would cover them.
    args += ["--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    args += ["--size", str(tmp_bytes), "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    shown: list[Path] = [Path(p) for p in _SYSTEM]
    for path in sorted({Path(os.path.realpath(p)) for p in [*_python_paths(), *readonly]}):
        if path.exists() and not any(path.is_relative_to(s) for s in shown):
            args += ["--ro-bind", str(path), str(path)]
            shown.append(path)
    for path in sorted({Path(os.path.realpath(p)) for p in hide}):
        if any(path.is_relative_to(s) for s in shown) and path.is_dir():
            args += ["--size", "4096", "--tmpfs", str(path), "--remount-ro", str(path)]
    args += ["--bind", str(workdir), str(SANDBOX_WORKDIR), "--remount-ro", "/"]
    return [*args, "--chdir", str(SANDBOX_WORKDIR)]


def bwrap_command(
    options: Sequence[str], command: Sequence[str]
) -> tuple[list[str], tuple[int, ...]]:
    """``bwrap`` running ``command`` under ``options``, and the descriptor it reads them from.

    The caller passes the descriptor on to the child (``pass_fds``) and closes its own copy
    once the child has started.
    """
    # bwrap reads its options from a pipe, so that its command line (which the submission
    # can read in /proc/1/cmdline) shows no path of the grading machine.
    read_end, write_end = os.pipe()
    os.write(write_end, b"".join(a.encode() + b"\0" for a in options))
    os.close(write_end)
    return ["bwrap", "--args", str(read_end), "--", *command], (read_end,)
