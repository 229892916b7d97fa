"""``python -m autograder merge OUT1 OUT2 ... --out OUT``: one set of files from sharded runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.commands.common import print_table
from autograder.merge import merge

NAME = "merge"
HELP = "combine the output folders of sharded grade runs"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shards", nargs="+", help="output folders of `grade --shard K/N` runs")
    p.add_argument(
        "--out", required=True, help="folder for the merged grades, feedback and gradebook"
    )


def run(args: argparse.Namespace) -> int:
    outcomes = merge([Path(p) for p in args.shards], Path(args.out))
    print_table(outcomes)
    print(f"grades: {Path(args.out) / 'grades.csv'}")
    return 0
