"""``python -m autograder export OUT --format canvas --roster ROSTER.csv``: grades for a gradebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.canvas import canvas_csv

NAME = "export"
HELP = "write a grading run's grades for a gradebook"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", help="a grading output folder (with grades.csv)")
    p.add_argument("--format", choices=["canvas"], required=True, help="the gradebook's format")
    p.add_argument(
        "--roster",
        required=True,
        help="Canvas's gradebook export for the course (Grades > Export), one row per student",
    )
    p.add_argument(
        "--id-column",
        default="SIS Login ID",
        help="the roster column that holds the students' ids as in the submissions folder "
        "(default: %(default)s)",
    )
    p.add_argument("--dest", default=None, help="the file to write (default: OUT/canvas.csv)")


def run(args: argparse.Namespace) -> int:
    dest, unknown = canvas_csv(
        Path(args.out),
        Path(args.roster),
        Path(args.dest) if args.dest else None,
        id_column=args.id_column,
    )
    if unknown:
        print(
            f"warning: {len(unknown)} student(s) of grades.csv are not in the roster, so not in "
            f"{dest.name}: {', '.join(unknown)} (their grades are in grades.csv; check "
            f"--id-column {args.id_column!r})",
            file=sys.stderr,
        )
    print(f"Canvas grades: {dest} (import it in Canvas: Grades > Import)")
    return 0
