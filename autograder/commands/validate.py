"""``python -m autograder validate [ID ...]``: solutions pass every test, releases fail them."""

from __future__ import annotations

import argparse
import sys

from autograder.course import REPO_ROOT
from autograder.validate import validate

NAME = "validate"
HELP = "check that solutions pass all tests and releases fail them"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="notebooks run at once (default: the number of cores)",
    )


def run(args: argparse.Namespace) -> int:
    problems = validate(REPO_ROOT, args.assignments or None, jobs=args.jobs)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    if problems:
        return 1
    print("every solution passes all its tests, and every released notebook fails them.")
    return 0
