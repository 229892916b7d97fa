"""Does the capstone run top to bottom on a folder of real-looking images, as its text promises?

The folder is written from the generator and then made untidy the way real data is: JPEG next
to PNG, grayscale images, sizes other than 64 x 64 and not square. With ``ROOF_FOLDER`` set the
notebook reads it, trains on it, reports its accuracy without a pass mark and goes on.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from PIL import Image

from autograder.course import source_notebook
from course_utils.roofs.folder import write_roof_imagefolder

pytestmark = pytest.mark.notebook

ASSIGNMENT = "05_roof_type_exercise"


def untidy_roof_folder(root: Path) -> Path:
    """A train/ val/ folder of generated roofs, a third of them JPEG, a fifth grayscale, and
    every other one resized to 96 x 72."""
    write_roof_imagefolder(root, n_train=120, n_val=30, n_test=0, seed=5, size=80)
    for i, path in enumerate(sorted(root.rglob("*.png"))):
        with Image.open(path) as image:
            image = image.convert("L") if i % 5 == 0 else image.convert("RGB")
            if i % 2:
                image = image.resize((96, 72))
            if i % 3 == 0:
                path.unlink()
                image.save(path.with_suffix(".jpg"), quality=90)
            else:
                image.save(path)
    return root


def test_capstone_runs_on_a_real_folder(tmp_path: Path):
    folder = untidy_roof_folder(tmp_path / "roofs")
    assert {p.suffix for p in folder.rglob("*.*")} == {".png", ".jpg"}
    nb = nbformat.read(source_notebook(ASSIGNMENT), as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    client.execute(env={**os.environ, "ROOF_FOLDER": str(folder)})  # raises on any error
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    accuracy = "".join(o.get("text", "") for o in cells["test_cnn_accuracy"].outputs)
    assert "real images from" in accuracy and "no pass mark" in accuracy, accuracy
