"""``python -m autograder release [ID ...] [--check]``: notebooks/ from solutions/ with nbgrader."""

from __future__ import annotations

import argparse
import sys

from autograder import release
from autograder.course import REPO_ROOT

NAME = "release"
HELP = "generate notebooks/ from solutions/ with nbgrader"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument(
        "--check", action="store_true", help="exit 1 if notebooks/ or solutions/ are out of date"
    )


def run(args: argparse.Namespace) -> int:
    if args.check:
        problems = release.check(REPO_ROOT)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        if problems:
            print(
                "notebooks/ is out of date: run `python -m autograder release` and commit the result.",
                file=sys.stderr,
            )
            return 1
        print("notebooks/ matches solutions/.")
        return 0
    for path in release.release(REPO_ROOT, args.assignments or None):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0
