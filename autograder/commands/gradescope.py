"""``python -m autograder gradescope ID --out autograder.zip``: a Gradescope autograder.

``--run HOME`` is what the zip's ``run_autograder`` calls on Gradescope, once per submission.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder import gradescope
from autograder.commands.common import NO_SANDBOX
from autograder.submissions import GradingError

NAME = "gradescope"
HELP = "build an assignment's Gradescope autograder zip"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", nargs="?", help="the assignment id, e.g. 01_mlp_backprop")
    p.add_argument("--out", default=None, help="the zip to write, e.g. autograder.zip")
    p.add_argument(
        "--visibility",
        choices=gradescope.VISIBILITIES,
        default="after_published",
        help="when students see their per-cell scores (default: %(default)s); the hidden tests' "
        "details appear only after publication whatever this says",
    )
    p.add_argument(
        "--reference-cache",
        default=None,
        metavar="DIR",
        help="where the reference run is kept (as for grade); the zip carries it",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade on Gradescope even where bubblewrap cannot run there: student code can then "
        "read the reference evidence in the zip and forge its grade (trusted submissions only)",
    )
    p.add_argument("--run", dest="home", default=None, metavar="HOME", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    if args.home:
        return gradescope.run(Path(args.home))
    if not args.assignment or not args.out:
        raise GradingError("gradescope takes ASSIGNMENT --out autograder.zip")
    zip_path = gradescope.build(
        args.assignment,
        Path(args.out).resolve(),
        reference_cache=Path(args.reference_cache) if args.reference_cache else None,
        visibility=args.visibility,
        sandbox=not args.no_sandbox,
    )
    print(f"Gradescope autograder: {zip_path} (upload it under Configure Autograder > Zip file)")
    if args.no_sandbox:
        print(NO_SANDBOX)
    return 0
