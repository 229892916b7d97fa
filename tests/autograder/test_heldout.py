"""Tests for autograder/heldout.py: images reach the kernel, labels stay with the grader."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from autograder import heldout
from autograder.reference import _seal
from course_utils.checks import decode_value, encode_value, held_out_images


def test_the_seed_is_drawn_once_and_an_environment_variable_overrides_it(tmp_path, monkeypatch):
    monkeypatch.delenv(heldout.SEED_ENV, raising=False)
    first = heldout.course_seed(tmp_path / "ref")
    assert heldout.course_seed(tmp_path / "ref") == first
    assert (tmp_path / "ref" / "heldout-seed").stat().st_mode & 0o077 == 0  # the grader's only
    assert heldout.course_seed(tmp_path / "other") != first
    monkeypatch.setenv(heldout.SEED_ENV, "12345")
    assert heldout.course_seed(tmp_path / "ref") == 12345


def test_sets_are_shuffled_by_the_seed_and_only_images_are_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    images, labels = heldout.held_out("mnist_test", 1)
    again, _ = heldout.held_out("mnist_test", 2)
    public = held_out_images("mnist_test")  # no file here: the bundled test split, in its order
    assert images.shape == public.shape == (1000, 1, 28, 28) and labels.shape == (1000,)
    assert not np.array_equal(images, again) and not np.array_equal(images, public)
    # the same digits, only reordered
    assert sorted(map(bytes, images.reshape(1000, -1))) == sorted(
        map(bytes, public.reshape(1000, -1))
    )
    asks = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell('held_out_images("mnist_test")')]
    )
    (tmp_path / "course").mkdir()  # an assignment folder that ships no other file
    heldout.write_workdir(heldout.workdir_files(tmp_path / "course", asks, 1), tmp_path)
    assert sorted(p.name for p in (tmp_path / "heldout").iterdir()) == ["mnist_test.npy"]
    np.testing.assert_array_equal(held_out_images("mnist_test"), images)


def test_names_are_read_from_the_notebook():
    text = 'x = held_out_images("roofs_test")\ny = held_out_images( "mnist_test" )\nheld_out_images("roofs_test")'
    assert heldout.names_in(text) == ["roofs_test", "mnist_test"]
    with pytest.raises(KeyError, match="unknown held-out set"):
        heldout.held_out("nope", 0)


def test_the_reference_record_gets_the_labels_and_must_reach_its_mark():
    _, labels = heldout.held_out("mnist_test", 3)
    record = {"name": "m", "kind": "accuracy", "held_out": "mnist_test", "min_accuracy": 0.9}
    cells = {
        "good": {"m": dict(record, value=encode_value(labels))},
        "bad": {"m": dict(record, value=encode_value(np.zeros_like(labels)))},
    }
    problems = _seal(cells, 3)
    np.testing.assert_array_equal(decode_value(cells["good"]["m"]["targets"]), labels)
    assert len(problems) == 1 and "'bad'" in problems[0] and "below its mark 0.9" in problems[0]


def test_the_working_folder_gets_the_images_the_notebook_asks_for(tmp_path):
    from autograder.course import source_notebook

    source = source_notebook("05_roof_type_exercise")
    heldout.prepare_workdir(source.parent, nbformat.read(source, as_version=4), tmp_path, 5)
    images = np.load(tmp_path / "heldout" / "roofs_test.npy")
    assert images.shape == (1000, 64, 64, 3) and images.dtype == np.uint8
    assert sorted(p.name for p in (tmp_path / "heldout").iterdir()) == ["roofs_test.npy"]
