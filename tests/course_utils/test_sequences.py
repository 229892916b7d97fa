"""Tests for course_utils/sequences.py: the digit-reversal task and its exact-sequence codes."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import heldout
from course_utils.checks import held_out_images
from course_utils.sequences import (
    EOS,
    PAD,
    SOS,
    VOCAB,
    VOCAB_SIZE,
    decoder_inputs,
    reversal_task,
    sequence_codes,
    to_text,
)


def test_targets_are_the_sources_reversed_then_eos():
    src, tgt = reversal_task(200, min_len=1, max_len=9, seed=3)
    assert src.shape == (200, 9) and tgt.shape == (200, 10)
    assert src.dtype == tgt.dtype == np.int64
    for source, target in zip(src, tgt, strict=True):
        n = int((source != PAD).sum())
        assert 1 <= n <= 9 and (source[n:] == PAD).all() and (source[:n] != PAD).all()
        assert to_text(target) == to_text(source)[::-1]
        assert target[n] == EOS and (target[n + 1 :] == PAD).all()


def test_the_seed_fixes_the_sequences_and_lengths_cover_the_range():
    a, _ = reversal_task(500, min_len=3, max_len=12, seed=1)
    b, _ = reversal_task(500, min_len=3, max_len=12, seed=1)
    c, _ = reversal_task(500, min_len=3, max_len=12, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert set((a != PAD).sum(1)) == set(range(3, 13))
    with pytest.raises(ValueError):
        reversal_task(3, min_len=0, max_len=4)


def test_decoder_inputs_are_shifted_right_after_sos_without_the_eos():
    tgt = np.array([[5, 4, EOS, PAD], [7, 8, 9, EOS]])
    np.testing.assert_array_equal(decoder_inputs(tgt), [[SOS, 5, 4, PAD], [SOS, 7, 8, 9]])


def test_codes_tell_exact_sequences_apart():
    digits = lambda text: [VOCAB.index(d) for d in text]  # noqa: E731
    rows = np.array(
        [
            [*digits("0123"), EOS, PAD],
            [*digits("123"), EOS, PAD, PAD],
            [*digits("0123"), EOS, 5],  # what follows the EOS does not count
            [*digits("012345")],  # no EOS: never right
            [*digits("01"), SOS, EOS, PAD, PAD],  # a non-digit before the EOS
            [EOS, PAD, PAD, PAD, PAD, PAD],  # the empty output
        ]
    )
    codes = sequence_codes(rows)
    assert codes.tolist() == [10123, 1123, 10123, -1, -1, 1]
    assert VOCAB_SIZE == 13 and to_text(rows[0]) == "0123"


def test_the_held_out_set_labels_are_the_codes_of_the_reversals(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sources, labels = heldout.held_out("reversal_test", 5)
    assert sources.shape == (1000, 12) and labels.shape == (1000,)
    expected = [int("1" + to_text(s)[::-1]) for s in sources]
    assert labels.tolist() == expected
    other, _ = heldout.held_out("reversal_test", 6)
    assert not np.array_equal(sources, other)
    public = held_out_images("reversal_test")  # outside the grader: a fixed public set
    assert public.shape == (1000, 12) and not np.array_equal(public, sources)
