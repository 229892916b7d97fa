"""``python -m autograder check NOTEBOOK``: a student's check before handing in."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.check import check

NAME = "check"
HELP = "a student's check before handing in: run the notebook, list its tests"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="the notebook you are about to hand in")
    p.add_argument(
        "--dest", default=None, help="folder for the clean copy to hand in (default: hand-in/)"
    )


def run(args: argparse.Namespace) -> int:
    report = check(Path(args.notebook), dest=Path(args.dest) if args.dest else None)
    print(report.table())
    return 0 if not report.failed and not report.unimplemented else 1
