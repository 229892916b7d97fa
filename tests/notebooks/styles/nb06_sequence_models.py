"""Correct answers to notebook 06 in other styles; each must keep every point."""

from __future__ import annotations

from tests.notebooks.styles import Style

__all__ = ["ASSIGNMENT", "STYLES"]

ASSIGNMENT = "06_sequence_models"

STYLES = [
    Style(
        "rnn_step",
        """def rnn_step(x_t, h_prev, U, V, b):
    a = np.dot(x_t, U.T) + np.dot(V, h_prev.T).T + b[np.newaxis, :]
    return np.tanh(a)
""",
        "CS231n's rnn_step_forward with np.dot, the recurrent product as (V h^T)^T",
    ),
    Style(
        "rnn_forward",
        """def rnn_forward(X, h0, U, V, b):
    states = []
    h = h0
    for x in np.swapaxes(X, 0, 1):  # time first, as d2l's rnn loops over its inputs
        h = rnn_step(x, h, U, V, b)
        states.append(h)
    H = np.stack(states, axis=1)
    return H, (X, h0, U, V, b, H)
""",
        "d2l's loop over time-major inputs with a list of states and np.stack",
    ),
    Style(
        "rnn_backward",
        """def rnn_step_backward(dnext_h, x, prev_h, next_h, U, V):
    da = dnext_h * (1 - next_h**2)
    return da @ U, da @ V, da.T @ x, da.T @ prev_h, da.sum(axis=0)


def rnn_backward(dH, cache):
    X, h0, U, V, b, H = cache
    T = X.shape[1]
    dX = np.empty(X.shape)
    dU, dV, db = np.zeros(U.shape), np.zeros(V.shape), np.zeros(b.shape)
    dprev_h = np.zeros(h0.shape)
    prev = np.concatenate([h0[:, None], H[:, :-1]], axis=1)
    for t in range(T - 1, -1, -1):
        dx, dprev_h, dU_t, dV_t, db_t = rnn_step_backward(
            dH[:, t] + dprev_h, X[:, t], prev[:, t], H[:, t], U, V
        )
        dX[:, t] = dx
        dU, dV, db = dU + dU_t, dV + dV_t, db + db_t
    return dX, dprev_h, dU, dV, db
""",
        "CS231n's rnn_step_backward helper, previous states stacked in advance",
    ),
    Style(
        "LSTMCell",
        """class LSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.bias_hh = nn.Parameter(torch.zeros(4 * hidden_size))
        self.bias_ih = nn.Parameter(torch.zeros(4 * hidden_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        nn.init.xavier_uniform_(self.weight_ih)
        nn.init.orthogonal_(self.weight_hh)
        with torch.no_grad():
            self.bias_ih[hidden_size : 2 * hidden_size] = 1.0  # forget gate open at the start

    def forward(self, x, state=None):
        H = self.weight_hh.shape[1]
        if state is None:
            h = torch.zeros(x.shape[0], H, dtype=x.dtype, device=x.device)
            c = torch.zeros_like(h)
        else:
            h, c = state
        z = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        i, f, g, o = torch.split(z, H, dim=-1)
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        c_next = f * c + i * torch.tanh(g)
        return o * torch.tanh(c_next), c_next
""",
        "F.linear and torch.split, Xavier/orthogonal init with a forget bias of 1, registered backwards",
    ),
    Style(
        "sequence_mask",
        """def sequence_mask(lengths, max_len):
    return lengths.unsqueeze(1) > torch.arange(max_len, device=lengths.device).unsqueeze(0)
""",
        "d2l's sequence_mask, lengths > positions",
    ),
    Style(
        "AdditiveAttention",
        """class AdditiveAttention(nn.Module):
    def __init__(self, query_dim, key_dim, hidden_dim):
        super().__init__()
        self.v = nn.Linear(hidden_dim, 1, bias=False)
        self.W_k = nn.Linear(key_dim, hidden_dim, bias=False)
        self.W_q = nn.Linear(query_dim, hidden_dim, bias=False)

    def forward(self, query, keys, mask=None):
        features = torch.tanh(self.W_q(query).unsqueeze(1) + self.W_k(keys))
        scores = self.v(features).squeeze(-1)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, -1e9)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)
        return context, weights
""",
        "the PyTorch seq2seq tutorial's Bahdanau attention: bmm, -1e9 fill, v registered first",
    ),
    Style(
        "build_seq2seq",
        """class LSTMSeq2Seq(nn.Module):
    # Luong-style: the decoder steps first, then attends with its new state.
    def __init__(self, vocab_size, hidden_size, attention):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, hidden_size)
        self.encoder = nn.LSTM(hidden_size, hidden_size, batch_first=True)
        self.decoder = LSTMCell(hidden_size, hidden_size)
        self.attn = AdditiveAttention(hidden_size, hidden_size, 32) if attention else None
        self.head = nn.Linear(2 * hidden_size if attention else hidden_size, vocab_size)
        self.last_attention = None

    def forward(self, src, tgt_in):
        lengths = src.ne(PAD).sum(1)
        packed = pack_padded_sequence(
            self.embedding(src), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        memory, (h, c) = self.encoder(packed)
        memory, _ = pad_packed_sequence(memory, batch_first=True, total_length=src.size(1))
        keep = sequence_mask(lengths, src.size(1))
        state, outputs, maps = (h.squeeze(0), c.squeeze(0)), [], []
        for x in self.embedding(tgt_in).unbind(1):
            state = self.decoder(x, state)
            features = state[0]
            if self.attn is not None:
                context, w = self.attn(state[0], memory, keep)
                features = torch.cat([state[0], context], -1)
                maps.append(w)
            outputs.append(self.head(features))
        self.last_attention = torch.stack(maps, 1) if maps else None
        return torch.stack(outputs, 1)


def build_seq2seq(vocab_size, hidden_size=64, attention=True):
    return LSTMSeq2Seq(vocab_size, hidden_size, attention)
""",
        "an LSTM encoder-decoder on the notebook's own LSTMCell, Luong-style attention after the step",
    ),
]
