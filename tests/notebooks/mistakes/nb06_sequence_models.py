"""Plausible student mistakes in notebook 06 (sequence models); each must lose its test cell's points.

Every mistake is the reference answer, read from the solution notebook (its answer cell without
the solution markers), with one misconception edited in (see ``variant``), so each entry
differs from a correct answer by exactly the error it names and cannot drift from it.
"""

from __future__ import annotations

import functools

import nbformat

from autograder.course import source_notebook
from tests.notebooks.mistakes import Mistake, quiz, variant

__all__ = ["ASSIGNMENT", "MISTAKES", "reference_answer"]

ASSIGNMENT = "06_sequence_models"


@functools.cache
def reference_answer(grade_id: str) -> str:
    """The solution notebook's answer cell ``grade_id`` as a student would hand it in: the
    reference code, without the ``### BEGIN/END SOLUTION`` lines."""
    nb = nbformat.read(source_notebook(ASSIGNMENT), as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    lines = cell.source.splitlines(keepends=True)
    return "".join(
        line
        for line in lines
        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def _mistakes(answer_cell: str, test_cell: str, cases: list[tuple[str, tuple]]) -> list[Mistake]:
    reference = reference_answer(answer_cell)
    return [
        Mistake(
            answer_cell=answer_cell,
            test_cell=test_cell,
            source=variant(reference, *edits),
            why=why,
        )
        for why, edits in cases
    ]


MISTAKES = [
    *_mistakes(
        "rnn_step",
        "test_rnn_step",
        [
            ("h_prev @ V instead of V.T", (("h_prev @ V.T", "h_prev @ V"),)),
            ("x_t @ U instead of U.T (a square U hides the shape)", (("x_t @ U.T", "x_t @ U"),)),
            (
                "the sigmoid instead of tanh",
                (
                    (
                        "return np.tanh(x_t @ U.T + h_prev @ V.T + b)",
                        "return 1 / (1 + np.exp(-(x_t @ U.T + h_prev @ V.T + b)))",
                    ),
                ),
            ),
            ("the bias left out", (("h_prev @ V.T + b)", "h_prev @ V.T)"),)),
        ],
    ),
    *_mistakes(
        "rnn_forward",
        "test_rnn_forward",
        [
            ("starts from zeros instead of h0", (("    h = h0\n", "    h = np.zeros_like(h0)\n"),)),
            (
                "stores the state before each step",
                (
                    (
                        "        h = rnn_step(X[:, t], h, U, V, b)\n        H[:, t] = h\n",
                        "        H[:, t] = h\n        h = rnn_step(X[:, t], h, U, V, b)\n",
                    ),
                ),
            ),
            (
                "passes h0 to every step: no recurrence",
                (("rnn_step(X[:, t], h, U, V, b)", "rnn_step(X[:, t], h0, U, V, b)"),),
            ),
            (
                "returns H as (T, N, n)",
                (
                    (
                        "    return H, (X, h0, U, V, b, H)",
                        "    return H.transpose(1, 0, 2), (X, h0, U, V, b, H)",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "rnn_backward",
        "test_rnn_backward",
        [
            (
                "forgets the tanh derivative",
                (("(dH[:, t] + dh_next) * (1.0 - H[:, t] ** 2)", "(dH[:, t] + dh_next)"),),
            ),
            ("dV = instead of dV +=: keeps only one step", (("dV += ", "dV = "),)),
            (
                "no gradient from later steps: each step learns from its own output only",
                (("(dH[:, t] + dh_next) * ", "dH[:, t] * "),),
            ),
            ("h_t instead of h_(t-1) in dV", (("dV += da.T @ h_prev", "dV += da.T @ H[:, t]"),)),
            (
                "h_(t-1) of the first step taken as zeros, not h0",
                (("H[:, t - 1] if t > 0 else h0", "H[:, t - 1] if t > 0 else np.zeros_like(h0)"),),
            ),
        ],
    ),
    *_mistakes(
        "LSTMCell",
        "test_LSTMCell_twin",
        [
            (
                "gates in the order i, f, o, g",
                (("i, f, g, o = gates.chunk(4, dim=1)", "i, f, o, g = gates.chunk(4, dim=1)"),),
            ),
            (
                "the forget gate applied to the new content, the input gate to the old cell",
                (
                    (
                        "torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)",
                        "torch.sigmoid(i) * c + torch.sigmoid(f) * torch.tanh(g)",
                    ),
                ),
            ),
            (
                "h = o * c without the tanh",
                (("h = torch.sigmoid(o) * torch.tanh(c)", "h = torch.sigmoid(o) * c"),),
            ),
            (
                "bias_hh left out of the gates",
                (("h @ self.weight_hh.T + self.bias_hh", "h @ self.weight_hh.T"),),
            ),
            (
                "a sigmoid on the candidate g",
                (("torch.sigmoid(i) * torch.tanh(g)", "torch.sigmoid(i) * torch.sigmoid(g)"),),
            ),
        ],
    ),
    *_mistakes(
        "sequence_mask",
        "test_sequence_mask",
        [
            (
                "<= instead of <",
                (("positions[None, :] < lengths", "positions[None, :] <= lengths"),),
            ),
            (
                "a float mask instead of bool",
                (
                    (
                        "return positions[None, :] < lengths[:, None]",
                        "return (positions[None, :] < lengths[:, None]).float()",
                    ),
                ),
            ),
            (
                "the mask transposed to (max_len, N)",
                (
                    (
                        "positions[None, :] < lengths[:, None]",
                        "positions[:, None] < lengths[None, :]",
                    ),
                ),
            ),
            (
                "lengths.max() columns instead of max_len",
                (("torch.arange(max_len,", "torch.arange(int(lengths.max()),"),),
            ),
        ],
    ),
    *_mistakes(
        "AdditiveAttention",
        "test_AdditiveAttention",
        [
            (
                "softmax over the batch",
                (("torch.softmax(scores, dim=1)", "torch.softmax(scores, dim=0)"),),
            ),
            (
                "context from the projected keys W_k(keys)",
                (("(weights[:, :, None] * keys)", "(weights[:, :, None] * self.W_k(keys))"),),
            ),
            (
                "no tanh: linear scores",
                (
                    (
                        "torch.tanh(self.W_q(query)[:, None, :] + self.W_k(keys))",
                        "(self.W_q(query)[:, None, :] + self.W_k(keys))",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "AdditiveAttention",
        "test_AdditiveAttention_masks",
        [
            (
                "mask convention flipped (True = hide)",
                (("masked_fill(~mask,", "masked_fill(mask,"),),
            ),
            (
                "mask applied after the softmax without renormalising",
                (
                    (
                        'scores = scores.masked_fill(~mask, float("-inf"))',
                        "pass",
                    ),
                    (
                        "        context = (weights",
                        "        if mask is not None:\n"
                        "            weights = weights * mask\n"
                        "        context = (weights",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "build_seq2seq",
        "test_build_seq2seq_teacher_forcing",
        [
            (
                "no teacher forcing: the decoder reads its own predictions",
                (
                    (
                        "        for t in range(tgt_in.shape[1]):\n",
                        "        for t in range(tgt_in.shape[1]):\n"
                        "            if t > 0:\n"
                        "                inputs = inputs.clone()\n"
                        "                inputs[:, t] = self.tgt_embed(logits[-1].argmax(-1))\n",
                    ),
                ),
            ),
            (
                "reads tgt_in[:, t + 1] at step t: sees the answer",
                (
                    (
                        "inputs = self.tgt_embed(tgt_in)",
                        "inputs = self.tgt_embed(torch.cat([tgt_in[:, 1:], tgt_in[:, :1]], dim=1))",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "build_seq2seq",
        "test_build_seq2seq_padding",
        [
            (
                "the encoder reads the padding: no pack_padded_sequence",
                (
                    (
                        "states, h = self.encoder(packed)",
                        "states, h = self.encoder(self.src_embed(src))",
                    ),
                    (
                        "states, _ = pad_packed_sequence(states, batch_first=True, total_length=src.shape[1])",
                        "pass",
                    ),
                ),
            ),
        ],
    ),
    *_mistakes(
        "build_seq2seq",
        "test_build_seq2seq",
        [
            (
                "attention without the padding mask",
                (("self.attention(h, states, mask)", "self.attention(h, states)"),),
            ),
            (
                "attention=True ignored: always the plain encoder-decoder",
                (
                    (
                        "if attention else None",
                        "if False else None",
                    ),
                    ("context_dim = hidden_size if attention else 0", "context_dim = 0"),
                ),
            ),
        ],
    ),
    *quiz(
        [
            Mistake(
                answer_cell="sequence_quiz_answer",
                test_cell="test_sequence_quiz_answer",
                source=f'sequence_quiz_answer = "{letter}"\n',
                why=why,
            )
            for letter, why in (
                ("a", "thinks one convolution sees far-apart pixels"),
                ("b", "thinks an RNN needs a fixed length"),
                ("d", "thinks RNN gradients never vanish"),
            )
        ]
    ),
    Mistake(
        answer_cell="sequence_quiz_answer",
        test_cell="test_sequence_quiz_answer",
        source='sequence_quiz_answer = "C"\n',
        why="right letter, upper case",
    ),
]
