"""``python -m autograder validate``: every solution passes its tests, every release fails them.

Each assignment's source notebook must serve as the reference (it runs without error and every
test cell records its hidden checks), and its released student notebook, handed in untouched,
must earn 0 points in every autograded cell: a test that a stub passes grades nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from autograder.course import RELEASE_DIR, REPO_ROOT, assignment_ids
from autograder.evidence import EvidenceError
from autograder.grade import grade
from autograder.sandbox import isolation_problem

__all__ = ["validate"]


def validate(
    root: Path = REPO_ROOT, assignments: list[str] | None = None, *, jobs: int | None = None
) -> list[str]:
    """Problems found, one line each; an empty list means the course is consistent."""
    ids = assignments or assignment_ids(root)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        submissions = Path(tmp) / "submissions" / "released"
        submissions.mkdir(parents=True)
        for assignment_id in ids:
            released = root / RELEASE_DIR / assignment_id / f"{assignment_id}.ipynb"
            if not released.is_file():
                problems.append(
                    f"{assignment_id}: {released} is missing; run `python -m autograder release`"
                )
                continue
            nbformat.write(nbformat.read(released, as_version=4), submissions / released.name)
        try:
            outcomes = grade(
                submissions.parent,
                Path(tmp) / "out",
                assignments=ids,
                root=root,
                jobs=jobs,
                # the instructor's own notebooks: sandboxed where possible, trusted elsewhere
                sandbox=isolation_problem() is None,
            )
        except EvidenceError as exc:  # the reference solution fails its own tests
            return [*problems, str(exc)]
        for outcome in outcomes:
            if outcome.status == "missing":
                continue
            passing = [c["grade_id"] for c in outcome.cells if c["score"] > 0]
            if passing:
                problems.append(
                    f"{outcome.assignment_id}: the untouched release earns points in {', '.join(passing)}"
                )
    return problems
