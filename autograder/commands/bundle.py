"""``python -m autograder bundle DEST``: the course as students receive it (:mod:`autograder.bundle`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.bundle import bundle

NAME = "bundle"
HELP = "write a student-only copy of the course"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dest", help="a new folder")


def run(args: argparse.Namespace) -> int:
    dest = bundle(Path(args.dest))
    print(f"student bundle written to {dest} (no solutions, hidden tests or grading files)")
    return 0
