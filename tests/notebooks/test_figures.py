"""Does every cell of a solution notebook that draws leave a picture in its outputs?

A course_utils.plotting helper returns a figure that is not on screen: a cell must end with it
or pass it to display(), and a `plt.show()` after it shows nothing. The test reads the
reference run's executed notebook (one execution serves this test, tests/notebooks/test_solutions.py and
the grading tests).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.course import assignment_ids, source_notebook
from autograder.reference import build_reference, executed_notebook
from course_utils import plotting

pytestmark = pytest.mark.grading

# A call that makes a figure: a plotting helper of the course, or pyplot's own.
_DRAWS = re.compile(
    r"(?<![\w.])(?:" + "|".join(n for n in plotting.__all__ if n != "confusion_matrix") + r")\("
    r"|\bplt\.(?:subplots|figure|imshow|plot)\("
)


def drawing_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """The code cells that make a figure (comments and strings aside is not attempted: keep
    drawing calls out of comments)."""
    return [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and _DRAWS.search(c.source)
        and not c.source.lstrip().startswith("def ")
    ]


def _shows_a_picture(cell: nbformat.NotebookNode) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


def test_a_plt_show_after_a_helper_counts_as_drawing():
    """The detector sees both kinds of call."""
    cell = nbformat.v4.new_code_cell("plot_history(h)\nplt.show()")
    assert drawing_cells(nbformat.v4.new_notebook(cells=[cell]))
    quiet = nbformat.v4.new_code_cell("cm = confusion_matrix(y, p)\nprint(cm)")
    assert not drawing_cells(nbformat.v4.new_notebook(cells=[quiet]))


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_every_drawing_cell_shows_a_picture(assignment_id: str, reference_cache: Path):
    source = source_notebook(assignment_id)
    nb = executed_notebook(build_reference(source, reference_cache))
    blank = [
        f"cell {i} ({c.metadata.get('nbgrader', {}).get('grade_id', 'no id')})"
        for i, c in drawing_cells(nb)
        if not _shows_a_picture(c)
    ]
    assert not blank, (
        f"{assignment_id}: these cells draw but show no picture (end the cell with the figure, or "
        f"display(fig); plt.show() cannot show a helper's figure): {', '.join(blank)}"
    )
