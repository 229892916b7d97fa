"""``python -m autograder <command>``: a thin layer over the release and grading pipelines.

Each verb is a module of :mod:`autograder.commands`; this one assembles them and turns the
errors an instructor can fix into one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from autograder.bundle import BundleError
from autograder.commands import VERBS
from autograder.evidence import EvidenceError
from autograder.release import ReleaseError
from autograder.submissions import GradingError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every verb, each from its own module."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="The course's tools: release the notebooks, check a hand-in, grade a class.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for verb in VERBS:
        module = importlib.import_module(f"autograder.commands.{verb}")
        p = commands.add_parser(module.NAME, help=module.HELP)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (GradingError, EvidenceError, BundleError, ReleaseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
