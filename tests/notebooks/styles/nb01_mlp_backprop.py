"""Correct answers to notebook 01 in other styles; each must keep every point."""

from __future__ import annotations

from tests.notebooks.styles import Style

__all__ = ["ASSIGNMENT", "STYLES"]

ASSIGNMENT = "01_mlp_backprop"

STYLES = [
    Style(
        "relu",
        "def relu(z):\n    return np.clip(np.asarray(z, dtype=float), 0.0, None)\n",
        "np.clip on a float copy",
    ),
    Style(
        "softmax",
        """def softmax(Z):
    shifted = Z - np.max(Z, axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return np.exp(log_probs)
""",
        "exp of the log-softmax (log-sum-exp), over axis -1",
    ),
    Style(
        "cross_entropy",
        """def cross_entropy(Z, y):
    N = Z.shape[0]
    log_probs = Z - Z.max(axis=1, keepdims=True)
    log_probs = log_probs - np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    one_hot = np.eye(Z.shape[1])[y]
    return float(-(one_hot * log_probs).sum() / N)
""",
        "one-hot labels instead of fancy indexing",
    ),
    Style(
        "linear_backward",
        """def linear_backward(dout, cache):
    X, W, b = cache
    return np.dot(dout, W.T), np.einsum("nd,nm->dm", X, dout), np.einsum("nm->m", dout)
""",
        "einsum (CS231n-style layers)",
    ),
    Style(
        "mlp_forward_backward",
        """def mlp_forward_backward(params, X, y):
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    hidden = np.maximum(0, X @ W1 + b1)
    scores = hidden @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    N = X.shape[0]
    loss = -np.log(probs[np.arange(N), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dhidden = dscores @ W2.T
    dhidden[hidden <= 0] = 0
    return float(loss), {
        "W1": X.T @ dhidden,
        "b1": dhidden.sum(axis=0),
        "W2": hidden.T @ dscores,
        "b2": dscores.sum(axis=0),
    }
""",
        "everything inline, CS231n's two-layer net",
    ),
    Style(
        "TorchMLP",
        """class TorchMLP(nn.Module):
    def __init__(self, in_features, hidden_size, num_classes):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden_size)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(self.flatten(x))))
""",
        "layers as modules, nn.Flatten and nn.ReLU",
    ),
]
