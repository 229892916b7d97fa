"""A sequence-to-sequence task generated on the fly: reverse a string of digits.

Notebook 06 trains encoder-decoders on it, and the grader draws its held-out sequences from it
(``autograder/heldout.py``), so nothing is downloaded. Tokens are small integers:

=====  =======  =====================================================
token  meaning  where
=====  =======  =====================================================
0      PAD      fills a sequence up to the batch's length; never a target
1      SOS      the decoder's first input ("start of sequence")
2      EOS      the last target ("end of sequence")
3-12   0-9      the digits: token ``3 + d`` is digit ``d``
=====  =======  =====================================================

A source ``"3141"`` is ``[6, 4, 7, 4]``; its target, ``"1413"`` then EOS, is ``[4, 7, 4, 6, 2]``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EOS",
    "PAD",
    "SOS",
    "VOCAB",
    "VOCAB_SIZE",
    "decoder_inputs",
    "reversal_task",
    "sequence_codes",
    "to_text",
]

PAD, SOS, EOS = 0, 1, 2
#: The printable name of every token, by token id.
VOCAB = ("_", "<", ">", *"0123456789")
VOCAB_SIZE = len(VOCAB)
_FIRST_DIGIT = 3


def reversal_task(
    n: int, min_len: int = 3, max_len: int = 12, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random digit strings and their reversals, as padded token arrays.

    Args:
        n: number of sequences.
        min_len, max_len: each length is drawn uniformly from ``min_len`` to ``max_len``.
        seed: the generator's seed; the same seed gives the same sequences.

    Returns:
        (src, tgt): src int64 (n, max_len), the digits then PAD; tgt int64 (n, max_len + 1),
        the digits in reverse order, EOS, then PAD.
    """
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len} and {max_len}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n)
    digits = rng.integers(0, 10, size=(n, max_len)) + _FIRST_DIGIT
    position = np.arange(max_len)
    src = np.where(position < lengths[:, None], digits, PAD)
    # Target position t holds source position length - 1 - t, then EOS at t = length.
    back = np.clip(lengths[:, None] - 1 - position, 0, None)
    tgt = np.full((n, max_len + 1), PAD, dtype=np.int64)
    tgt[:, :max_len] = np.where(position < lengths[:, None], np.take_along_axis(src, back, 1), PAD)
    tgt[np.arange(n), lengths] = EOS
    return src.astype(np.int64), tgt


def decoder_inputs(tgt: np.ndarray) -> np.ndarray:
    """What the decoder reads under teacher forcing: SOS, then the targets shifted right by one.

    Args:
        tgt: int (N, L) targets as :func:`reversal_task` returns them (EOS, then PAD).

    Returns:
        int64 (N, L): ``[SOS, tgt[:, 0], ..., tgt[:, L - 2]]`` with the EOS token replaced by
        PAD (the decoder never reads its own end).
    """
    tgt = np.asarray(tgt)
    shifted = np.concatenate([np.full((len(tgt), 1), SOS), tgt[:, :-1]], axis=1)
    return np.where(shifted == EOS, PAD, shifted).astype(np.int64)


def to_text(tokens: np.ndarray) -> str:
    """One token sequence as text, up to its first EOS or PAD: ``[6, 4, 7, 4, 2]`` -> ``"3141"``."""
    out = []
    for token in np.asarray(tokens).tolist():
        if token in (EOS, PAD):
            break
        out.append(VOCAB[token] if 0 <= token < VOCAB_SIZE else "?")
    return "".join(out)


def sequence_codes(tokens: np.ndarray) -> np.ndarray:
    """One integer per sequence, equal for two sequences exactly when their outputs are equal.

    A sequence is read up to its first EOS: digits ``d1 d2 ... dk`` become the integer
    ``1d1d2...dk`` (the leading 1 keeps leading zeros), so comparing codes is an
    exact-sequence comparison. A sequence with anything but digits before its EOS, or with no
    EOS, gets -1 (never a correct answer). Sealed accuracy checks record these codes.

    Args:
        tokens: int (N, L) predicted or target tokens, at most 17 digits before the EOS.

    Returns:
        int64 (N,).
    """
    tokens = np.asarray(tokens)
    codes = np.full(len(tokens), -1, dtype=np.int64)
    for i, row in enumerate(tokens.tolist()):
        if EOS not in row:
            continue
        digits = row[: row.index(EOS)]
        if len(digits) <= 17 and all(_FIRST_DIGIT <= t < VOCAB_SIZE for t in digits):
            codes[i] = int("1" + "".join(str(t - _FIRST_DIGIT) for t in digits))
    return codes
