"""``python -m autograder demo``: release, simulate a class and grade it (:mod:`autograder.demo`)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from autograder.commands.common import NO_SANDBOX, NO_SANDBOX_HELP, print_table
from autograder.demo import run_demo
from autograder.sandbox import isolation_description

NAME = "demo"
HELP = "release, simulate a class and grade it, in about a minute"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dest",
        default=None,
        help="where to keep the demo's files (default: a new temporary folder)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="submissions run at once (default: the number of cores)",
    )
    p.add_argument("--no-sandbox", action="store_true", help=NO_SANDBOX_HELP)


def run(args: argparse.Namespace) -> int:
    dest = Path(args.dest) if args.dest else Path(tempfile.mkdtemp(prefix="autograder-demo-"))
    outcomes = run_demo(dest, jobs=args.jobs, sandbox=not args.no_sandbox)
    print_table(outcomes)
    print(NO_SANDBOX if args.no_sandbox else f"sandbox: {isolation_description()}")
    print(
        f"everything the run wrote is in {dest / 'graded'}: grades.csv, scores.csv, feedback/, gradebook.db"
    )
    return 0
