"""``python -m autograder tidy``: solutions/ without outputs or extra metadata."""

from __future__ import annotations

import argparse

from autograder import release
from autograder.course import REPO_ROOT

NAME = "tidy"
HELP = "strip outputs and extra metadata from solutions/, refresh setup cells"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """tidy takes no arguments."""


def run(args: argparse.Namespace) -> int:
    changed = release.tidy(REPO_ROOT)
    for path in changed:
        print(f"tidied {path.relative_to(REPO_ROOT)}")
    if not changed:
        print("solutions/ is tidy.")
    return 0
