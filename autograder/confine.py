"""The first step of every sandboxed run: join cgroups, set resource limits, then exec the sandbox.

``python confine.py [--cgroup PROCS_FILE]... [--limit NAME=VALUE]... -- COMMAND...``

:mod:`autograder.sandbox` starts this small script instead of ``bwrap`` itself, so that the
process is inside its cgroups (and under its limits) before it forks anything: every process the
submission starts afterwards is counted. It runs as a file with ``python -I`` and imports only the
standard library, so it starts in a few milliseconds and needs nothing from the course.
"""

from __future__ import annotations

import os
import resource
import sys

__all__ = ["main"]

_LIMITS = {
    "fsize": resource.RLIMIT_FSIZE,  # largest file any process may write, stdout to a file included
    "nproc": resource.RLIMIT_NPROC,  # processes and threads of this user (not enforced for root)
    "core": resource.RLIMIT_CORE,  # no core dumps in the working folder
}


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: confine.py [--cgroup FILE]... [--limit NAME=VALUE]... -- COMMAND...")
        return 2
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    for flag, value in zip(options[::2], options[1::2], strict=True):
        if flag == "--cgroup":
            with open(value, "w") as f:  # "0" moves the writing process itself
                f.write("0")
        elif flag == "--limit":
            name, number = value.split("=")
            _, hard = resource.getrlimit(_LIMITS[name])
            n = int(number) if hard == resource.RLIM_INFINITY else min(int(number), hard)
            resource.setrlimit(_LIMITS[name], (n, n))
        else:
            raise SystemExit(f"confine.py: unknown option {flag}")
    os.execvp(command[0], command)
    return 127  # not reached: exec replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
