"""What several verbs print or accept alike: the results table and the no-sandbox warnings."""

from __future__ import annotations

from autograder.export import summary
from autograder.submissions import Outcome

__all__ = ["NO_SANDBOX", "NO_SANDBOX_HELP", "print_table"]

NO_SANDBOX_HELP = (
    "run submissions without the bubblewrap sandbox (only where it cannot be installed, and for "
    "trusted submissions only: their code can then read and change anything you can). Without "
    "this flag, grading refuses to start on a machine that cannot sandbox"
)
NO_SANDBOX = (
    "--no-sandbox: submissions ran WITHOUT the bubblewrap sandbox, able to read and change "
    "anything you can; use it for trusted submissions only"
)


def print_table(outcomes: list[Outcome]) -> None:
    """One line per submission, then the summary."""
    width = max((len(o.student_id) for o in outcomes), default=7)
    print(f"{'student':<{width}}  {'assignment':<22} {'score':>11}  status")
    for o in outcomes:
        print(
            f"{o.student_id:<{width}}  {o.assignment_id:<22} {o.score:5.1f}/{o.max_score:<5g}  {o.status}"
        )
    print(summary(outcomes))
