"""Does every solution notebook run top to bottom in a fresh kernel and pass its own tests?

The run is the grader's reference run (``autograder.reference.build_reference``): it executes
the notebook as Jupyter does, keeps going past an error, and then refuses the notebook, naming
each cell that raised, wrote to stderr in a test cell or recorded no hidden check. The figure
tests and the grading tests read the same run, so the suite executes each solution once.
To step through one notebook cell by cell instead:
``python -m pytest solutions/02_cnn_layers/02_cnn_layers.ipynb`` (nbval).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course import assignment_ids, source_notebook
from autograder.reference import build_reference, executed_notebook

pytestmark = pytest.mark.notebook


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_solution_runs_and_passes_its_tests(assignment_id: str, reference_cache: Path):
    # build_reference raises EvidenceError with one line per failing cell.
    nb = executed_notebook(build_reference(source_notebook(assignment_id), reference_cache))
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), (
        f"{assignment_id}: the reference run left cells unexecuted"
    )
