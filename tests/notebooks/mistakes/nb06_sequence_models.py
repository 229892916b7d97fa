"""Plausible student mistakes in notebook 06 (sequence models); each must lose its test cell's points.

Every entry is ``mistake(ASSIGNMENT, answer_cell, test_cell, why, *edits)``, the answer cell of
the solution notebook with ``(old, new)`` edits that put its misconception in: no hand copy of
an answer exists. Seq2seq mistakes name the test cell of the behaviour they break (teacher
forcing, padding, attention); the quiz's wrong letters go through ``quiz``.
"""

from __future__ import annotations

from tests.notebooks.mistakes import mistake, quiz

__all__ = ["ASSIGNMENT", "MISTAKES"]

ASSIGNMENT = "06_sequence_models"

MISTAKES = [
    mistake(
        ASSIGNMENT,
        "rnn_step",
        "test_rnn_step",
        "h_prev @ V instead of V.T",
        ("h_prev @ V.T", "h_prev @ V"),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_step",
        "test_rnn_step",
        "x_t @ U instead of U.T (a square U hides the shape)",
        ("x_t @ U.T", "x_t @ U"),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_step",
        "test_rnn_step",
        "the sigmoid instead of tanh",
        (
            "return np.tanh(x_t @ U.T + h_prev @ V.T + b)",
            "return 1 / (1 + np.exp(-(x_t @ U.T + h_prev @ V.T + b)))",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_step",
        "test_rnn_step",
        "the bias left out",
        ("h_prev @ V.T + b)", "h_prev @ V.T)"),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_forward",
        "test_rnn_forward",
        "starts from zeros instead of h0",
        ("    h = h0\n", "    h = np.zeros_like(h0)\n"),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_forward",
        "test_rnn_forward",
        "stores the state before each step",
        (
            "        h = rnn_step(X[:, t], h, U, V, b)\n        H[:, t] = h\n",
            "        H[:, t] = h\n        h = rnn_step(X[:, t], h, U, V, b)\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_forward",
        "test_rnn_forward",
        "passes h0 to every step: no recurrence",
        ("rnn_step(X[:, t], h, U, V, b)", "rnn_step(X[:, t], h0, U, V, b)"),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_forward",
        "test_rnn_forward",
        "returns H as (T, N, n)",
        (
            "    return H, (X, h0, U, V, b, H)",
            "    return H.transpose(1, 0, 2), (X, h0, U, V, b, H)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_backward",
        "test_rnn_backward",
        "forgets the tanh derivative",
        ("(dH[:, t] + dh_next) * (1.0 - H[:, t] ** 2)", "(dH[:, t] + dh_next)"),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_backward",
        "test_rnn_backward",
        "dV = instead of dV +=: keeps only one step",
        ("dV += ", "dV = "),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_backward",
        "test_rnn_backward",
        "no gradient from later steps: each step learns from its own output only",
        ("(dH[:, t] + dh_next) * ", "dH[:, t] * "),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_backward",
        "test_rnn_backward",
        "h_t instead of h_(t-1) in dV",
        ("dV += da.T @ h_prev", "dV += da.T @ H[:, t]"),
    ),
    mistake(
        ASSIGNMENT,
        "rnn_backward",
        "test_rnn_backward",
        "h_(t-1) of the first step taken as zeros, not h0",
        ("H[:, t - 1] if t > 0 else h0", "H[:, t - 1] if t > 0 else np.zeros_like(h0)"),
    ),
    mistake(
        ASSIGNMENT,
        "LSTMCell",
        "test_LSTMCell_twin",
        "gates in the order i, f, o, g",
        ("i, f, g, o = gates.chunk(4, dim=1)", "i, f, o, g = gates.chunk(4, dim=1)"),
    ),
    mistake(
        ASSIGNMENT,
        "LSTMCell",
        "test_LSTMCell_twin",
        "the forget gate applied to the new content, the input gate to the old cell",
        (
            "torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)",
            "torch.sigmoid(i) * c + torch.sigmoid(f) * torch.tanh(g)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "LSTMCell",
        "test_LSTMCell_twin",
        "h = o * c without the tanh",
        ("h = torch.sigmoid(o) * torch.tanh(c)", "h = torch.sigmoid(o) * c"),
    ),
    mistake(
        ASSIGNMENT,
        "LSTMCell",
        "test_LSTMCell_twin",
        "bias_hh left out of the gates",
        ("h @ self.weight_hh.T + self.bias_hh", "h @ self.weight_hh.T"),
    ),
    mistake(
        ASSIGNMENT,
        "LSTMCell",
        "test_LSTMCell_twin",
        "a sigmoid on the candidate g",
        ("torch.sigmoid(i) * torch.tanh(g)", "torch.sigmoid(i) * torch.sigmoid(g)"),
    ),
    mistake(
        ASSIGNMENT,
        "sequence_mask",
        "test_sequence_mask",
        "<= instead of <",
        ("positions[None, :] < lengths", "positions[None, :] <= lengths"),
    ),
    mistake(
        ASSIGNMENT,
        "sequence_mask",
        "test_sequence_mask",
        "a float mask instead of bool",
        (
            "return positions[None, :] < lengths[:, None]",
            "return (positions[None, :] < lengths[:, None]).float()",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "sequence_mask",
        "test_sequence_mask",
        "the mask transposed to (max_len, N)",
        ("positions[None, :] < lengths[:, None]", "positions[:, None] < lengths[None, :]"),
    ),
    mistake(
        ASSIGNMENT,
        "sequence_mask",
        "test_sequence_mask",
        "lengths.max() columns instead of max_len",
        ("torch.arange(max_len,", "torch.arange(int(lengths.max()),"),
    ),
    mistake(
        ASSIGNMENT,
        "AdditiveAttention",
        "test_AdditiveAttention",
        "softmax over the batch",
        ("torch.softmax(scores, dim=1)", "torch.softmax(scores, dim=0)"),
    ),
    mistake(
        ASSIGNMENT,
        "AdditiveAttention",
        "test_AdditiveAttention",
        "context from the projected keys W_k(keys)",
        ("(weights[:, :, None] * keys)", "(weights[:, :, None] * self.W_k(keys))"),
    ),
    mistake(
        ASSIGNMENT,
        "AdditiveAttention",
        "test_AdditiveAttention",
        "no tanh: linear scores",
        (
            "torch.tanh(self.W_q(query)[:, None, :] + self.W_k(keys))",
            "(self.W_q(query)[:, None, :] + self.W_k(keys))",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "AdditiveAttention",
        "test_AdditiveAttention_masks",
        "mask convention flipped (True = hide)",
        ("masked_fill(~mask,", "masked_fill(mask,"),
    ),
    mistake(
        ASSIGNMENT,
        "AdditiveAttention",
        "test_AdditiveAttention_masks",
        "mask applied after the softmax without renormalising",
        ('scores = scores.masked_fill(~mask, float("-inf"))', "pass"),
        (
            "        context = (weights",
            "        if mask is not None:\n"
            "            weights = weights * mask\n"
            "        context = (weights",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "build_seq2seq",
        "test_build_seq2seq_teacher_forcing",
        "no teacher forcing: the decoder reads its own predictions",
        (
            "        for t in range(tgt_in.shape[1]):\n",
            "        for t in range(tgt_in.shape[1]):\n"
            "            if t > 0:\n"
            "                inputs = inputs.clone()\n"
            "                inputs[:, t] = self.tgt_embed(logits[-1].argmax(-1))\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "build_seq2seq",
        "test_build_seq2seq_teacher_forcing",
        "reads tgt_in[:, t + 1] at step t: sees the answer",
        (
            "inputs = self.tgt_embed(tgt_in)",
            "inputs = self.tgt_embed(torch.cat([tgt_in[:, 1:], tgt_in[:, :1]], dim=1))",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "build_seq2seq",
        "test_build_seq2seq_padding",
        "the encoder reads the padding: no pack_padded_sequence",
        ("states, h = self.encoder(packed)", "states, h = self.encoder(self.src_embed(src))"),
        (
            "states, _ = pad_packed_sequence(states, batch_first=True, total_length=src.shape[1])",
            "pass",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "build_seq2seq",
        "test_build_seq2seq",
        "attention without the padding mask",
        ("self.attention(h, states, mask)", "self.attention(h, states)"),
    ),
    mistake(
        ASSIGNMENT,
        "build_seq2seq",
        "test_build_seq2seq",
        "attention=True ignored: always the plain encoder-decoder",
        ("if attention else None", "if False else None"),
        ("context_dim = hidden_size if attention else 0", "context_dim = 0"),
    ),
    *quiz(
        [
            mistake(
                ASSIGNMENT,
                "sequence_quiz_answer",
                "test_sequence_quiz_answer",
                why,
                ('sequence_quiz_answer = "c"', f'sequence_quiz_answer = "{letter}"'),
            )
            for letter, why in (
                ("a", "thinks one convolution sees far-apart pixels"),
                ("b", "thinks an RNN needs a fixed length"),
                ("d", "thinks RNN gradients never vanish"),
            )
        ]
    ),
    # Not hidden: an upper-case letter fails the visible format check.
    mistake(
        ASSIGNMENT,
        "sequence_quiz_answer",
        "test_sequence_quiz_answer",
        "right letter, upper case",
        ('sequence_quiz_answer = "c"', 'sequence_quiz_answer = "C"'),
    ),
]
