"""``merge``: the output folders of sharded grading runs as one set of files and one gradebook."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from autograder import heldout
from autograder.course import REPO_ROOT
from autograder.execution import crashed
from autograder.export import export, output_folder, read_grades, write_feedback
from autograder.preparation import prepare_course
from autograder.scoring import max_scores, score_one
from autograder.submissions import GradingError, Outcome

_log = logging.getLogger("autograder")

__all__ = [
    "merge",
]


def merge(shards: list[Path], out: Path, *, root: Path = REPO_ROOT) -> list[Outcome]:
    """Combines the outputs of ``grade --shard K/N`` runs into one set of files and one gradebook.

    Executed notebooks are scored again into a fresh gradebook (no notebook runs twice). Merge
    before grading written answers by hand: manual scores stay in the shards' gradebooks.
    """
    out = output_folder(out)
    outcomes, origin = [], {}
    for shard in (s.resolve() for s in shards):
        for outcome in read_grades(shard):
            key = (outcome.student_id, outcome.assignment_id)
            if key in origin:
                raise GradingError(
                    f"{key[0]}/{key[1]} appears in both {origin[key]} and {shard}: shards must not overlap"
                )
            origin[key] = shard
            outcomes.append(outcome)
    if not outcomes:
        raise GradingError("the shards hold no grades")
    seeds = {
        heldout.course_seed(shard / "reference")
        for shard in dict.fromkeys(origin.values())
        if os.environ.get(heldout.SEED_ENV) or (shard / "reference" / "heldout-seed").is_file()
    }
    if len(seeds) > 1:
        raise GradingError(
            "the shards were graded with different held-out seeds, so their accuracy checks "
            f"cannot be scored together: set {heldout.SEED_ENV} to one number on every machine "
            "and grade the shards again"
        )
    for shard in dict.fromkeys(origin.values()):  # reference files are reused while still current
        if (shard / "reference").is_dir() and shard != out:
            shutil.copytree(shard / "reference", out / "reference", dirs_exist_ok=True)
    course = prepare_course(out, sorted({o.assignment_id for o in outcomes}), root)
    for index, outcome in enumerate(outcomes):
        work = Path(outcome.student_id) / outcome.assignment_id
        shard = origin[(outcome.student_id, outcome.assignment_id)]
        executed = shard / "work" / work / "executed.ipynb"
        if outcome.status in ("graded", "timeout", "crashed") and executed.is_file():
            if shard != out:
                shutil.copytree(executed.parent, out / "work" / work, dirs_exist_ok=True)
            try:  # the shard's course keeps nbgrader's submission files
                handed_in = shard / "course" / "submitted" / work
                score_one(course, outcome, out / "work" / work / "executed.ipynb", handed_in)
            except Exception as exc:  # one submission never aborts the batch
                outcomes[index] = crashed(outcome, "scoring it", exc)
    max_scores(course, [o for o in outcomes if not o.cells])
    for outcome in outcomes:
        try:
            write_feedback(course, [outcome], out)
        except Exception as exc:
            _log.warning(
                "no feedback for %s/%s: %s", outcome.student_id, outcome.assignment_id, exc
            )
    export(outcomes, out)
    return sorted(outcomes, key=lambda o: (o.student_id, o.assignment_id))
