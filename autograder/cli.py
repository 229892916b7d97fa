"""``python -m autograder <command>``: a thin layer over the release and grading pipelines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import release as release_mod
from autograder.course import REPO_ROOT
from autograder.evidence import EvidenceError
from autograder.grade import GradingError, grade

__all__ = ["main"]


def _release(args: argparse.Namespace) -> int:
    if args.check:
        problems = release_mod.check(REPO_ROOT)
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
    for path in release_mod.release(REPO_ROOT, args.assignments or None):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


def _tidy(args: argparse.Namespace) -> int:
    changed = release_mod.tidy(REPO_ROOT)
    for path in changed:
        print(f"tidied {path.relative_to(REPO_ROOT)}")
    if not changed:
        print("solutions/ is tidy.")
    return 0


def _grade(args: argparse.Namespace) -> int:
    outcomes = grade(
        Path(args.submissions),
        Path(args.out),
        assignments=args.assignment or None,
        cell_timeout=args.timeout,
    )
    width = max((len(o.student_id) for o in outcomes), default=10)
    print(f"{'student':<{width}}  assignment          score   status")
    for o in outcomes:
        print(
            f"{o.student_id:<{width}}  {o.assignment_id:<18} {o.score:5.1f}/{o.max_score:<5.1f} {o.status}"
        )
    print(f"grades: {Path(args.out) / 'grades.csv'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("release", help="generate notebooks/ from solutions/ with nbgrader")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument(
        "--check", action="store_true", help="exit 1 if notebooks/ or solutions/ are out of date"
    )
    p.set_defaults(run=_release)

    p = commands.add_parser(
        "tidy", help="strip outputs and extra metadata from solutions/, refresh setup cells"
    )
    p.set_defaults(run=_tidy)

    p = commands.add_parser("grade", help="autograde a folder of submissions")
    p.add_argument("submissions", help="folder with one subfolder per student")
    p.add_argument(
        "--out",
        required=True,
        help="folder for grades.csv, scores.csv, feedback/ and the gradebook",
    )
    p.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")
    p.add_argument(
        "--timeout", type=int, default=300, help="seconds one cell may run (default 300)"
    )
    p.set_defaults(run=_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (GradingError, EvidenceError, release_mod.ReleaseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
