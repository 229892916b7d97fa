"""``python -m autograder grade SUBMISSIONS --out OUT``: autograde a class (:mod:`autograder.grade`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cluster import parse_resources
from autograder.commands.common import NO_SANDBOX, NO_SANDBOX_HELP, print_table
from autograder.grade import grade
from autograder.sandbox import (
    CELL_FACTOR,
    CELL_FLOOR,
    NOTEBOOK_FACTOR,
    NOTEBOOK_FLOOR,
    Limits,
    isolation_description,
)

NAME = "grade"
HELP = "autograde a class of submissions"


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes K/N, e.g. 2/4; got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"{text}: K must lie between 1 and N")
    return k, n


def _resources(text: str) -> dict[str, float]:
    try:
        return parse_resources(text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The verb's arguments by concern, in the order ``--help`` lists them."""
    _add_inputs(p)
    _add_limits(p)
    _add_distribution(p)
    _add_trust(p)


def _add_inputs(p: argparse.ArgumentParser) -> None:
    """What to grade, and where the results go."""
    p.add_argument(
        "submissions",
        help="a folder (or .zip) with one subfolder per student, or nbgrader's submitted/",
    )
    p.add_argument(
        "--out",
        required=True,
        help="folder for grades.csv, scores.csv, feedback/ and the gradebook",
    )
    p.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")


def _add_limits(p: argparse.ArgumentParser) -> None:
    """How many submissions run at once, and what each may use (defaults: :class:`Limits`)."""
    defaults = Limits()
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="submissions run at once (default: the number of cores)",
    )
    p.add_argument(
        "--timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help=f"seconds any cell may run, the reference run's included (default: {CELL_FACTOR} "
        f"times what the cell took in the reference run, at least {CELL_FLOOR}; a cell the "
        "reference lacks gets the limit of its longest cell)",
    )
    p.add_argument(
        "--notebook-timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help=f"seconds one notebook may run (default: {NOTEBOOK_FACTOR} times the reference "
        f"run, at least {NOTEBOOK_FLOOR})",
    )
    p.add_argument(
        "--memory",
        type=float,
        default=defaults.memory_bytes / 2**30,
        help="GiB one submission may use (default %(default)s)",
    )
    p.add_argument(
        "--output-mb",
        type=float,
        default=defaults.output_bytes / 2**20,
        help="MiB of output one notebook may keep (default %(default)s)",
    )


def _add_distribution(p: argparse.ArgumentParser) -> None:
    """Sharing the work out: shards of the class, a reference cache kept between runs, a cluster."""
    p.add_argument(
        "--shard",
        type=_shard,
        default=None,
        help="grade only shard K of N of the students, e.g. 2/4",
    )
    p.add_argument(
        "--reference-cache",
        default=None,
        metavar="DIR",
        help="where the reference solutions' runs are kept between grading runs and reused while "
        "the course is unchanged (default: $AUTOGRADER_REFERENCE_CACHE, else reference/ in your "
        "cache folder, ~/.cache/nn-architectures-course/ on Linux)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the submissions on a Dask cluster: local:N for N worker processes on this "
        "machine, or a running scheduler such as tcp://HOST:8786 (needs "
        "pip install -r requirements-cluster.txt; scoring and the files stay here)",
    )
    p.add_argument(
        "--resources",
        type=_resources,
        default=None,
        metavar="NAME=AMOUNT[,...]",
        help="with --scheduler: what each submission asks of a worker, e.g. GPU=1 for workers "
        "started with `dask worker ADDRESS --resources GPU=1`",
    )


def _add_trust(p: argparse.ArgumentParser) -> None:
    """What the submissions may reach, and what the students' feedback shows."""
    p.add_argument("--no-sandbox", action="store_true", help=NO_SANDBOX_HELP)
    p.add_argument(
        "--show-hidden-tests",
        action="store_true",
        help="keep the hidden tests' source in the HTML feedback (left out by default)",
    )


def run(args: argparse.Namespace) -> int:
    limits = Limits(
        cell_seconds=args.timeout,
        notebook_seconds=args.notebook_timeout,
        memory_bytes=int(args.memory * 2**30),
        output_bytes=int(args.output_mb * 2**20),
    )
    outcomes = grade(
        Path(args.submissions),
        Path(args.out),
        assignments=args.assignment or None,
        jobs=args.jobs,
        limits=limits,
        shard=args.shard,
        reference_dir=Path(args.reference_cache) if args.reference_cache else None,
        progress=True,
        sandbox=not args.no_sandbox,
        show_hidden_tests=args.show_hidden_tests,
        scheduler=args.scheduler,
        resources=args.resources,
    )
    print_table(outcomes)
    print(NO_SANDBOX if args.no_sandbox else f"sandbox: {isolation_description()}")
    print(f"grades: {Path(args.out) / 'grades.csv'}")
    return 0
