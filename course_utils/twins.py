"""Stand-ins that make each exercise's tests independent of the student's other exercises.

**Each mistake is charged once.** A later exercise builds on earlier ones: ``mlp_forward_backward``
calls ``relu`` and ``linear_backward``, ``TransformerBlock`` builds a ``MultiHeadAttention``. A
test cell that ran on the student's earlier pieces would take a slip in ``relu`` out of the
points of every exercise built on it. Inside :func:`standing_in`, the notebook's names of those
earlier pieces point to the *twins* here, the same computations made from PyTorch, so a cell's
points depend only on its own exercise (the sealed accuracy checks of trained models are the
exception: a model's accuracy rightly depends on every piece of it).

**Hidden inputs independent of how a correct student wrote a module.** Two students can write
the same network in different, equally correct ways: layers registered in another order, in an
``nn.Sequential`` or as attributes, initialised by PyTorch's defaults or by Xavier.
:func:`reseed_in_call_order` gives every parameter a value that depends only on what the forward
pass computes.

The twins follow the docstrings of the notebooks' graded functions (notebook 01: ``sigmoid`` to
``mlp_forward_backward`` on NumPy arrays; 02: ``conv_output_size``; 04:
``scaled_dot_product_attention``, :class:`MultiHeadAttentionTwin`, :class:`TransformerBlockTwin`,
:class:`PatchEmbedTwin`; 06: ``rnn_step``, ``rnn_forward``, ``sequence_mask``,
:class:`AdditiveAttentionTwin`, and ``nn.LSTMCell`` itself for its ``LSTMCell``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "AdditiveAttentionTwin",
    "MultiHeadAttentionTwin",
    "PatchEmbedTwin",
    "TransformerBlockTwin",
    "conv_output_size",
    "cross_entropy",
    "linear_backward",
    "linear_forward",
    "mlp_forward_backward",
    "relu",
    "relu_grad",
    "reseed_in_call_order",
    "rnn_forward",
    "rnn_step",
    "scaled_dot_product_attention",
    "sequence_mask",
    "sigmoid",
    "softmax",
    "standing_in",
    "tanh",
]

_MISSING = object()


@contextmanager
def standing_in(namespace: dict, **twins: object) -> Iterator[None]:
    """Binds each name to its twin in ``namespace`` (a notebook's ``globals()``) for the block.

    The student's own objects are put back when the block ends, also when a check in it
    raises; a name that was not defined is removed again.

    Example:
        ``with standing_in(globals(), relu=twins.relu):`` runs the block with PyTorch's ReLU
        wherever the notebook's functions call ``relu``.
    """
    saved = {name: namespace.get(name, _MISSING) for name in twins}
    namespace.update(twins)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = value


# Notebook 01, on NumPy arrays (float64 in, float64 out), computed by PyTorch.


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Any shape -> the same shape, in [0, 1], without overflow."""
    return torch.sigmoid(_tensor(z)).numpy()


def tanh(z: np.ndarray) -> np.ndarray:
    """Any shape -> the same shape, in [-1, 1]."""
    return torch.tanh(_tensor(z)).numpy()


def relu(z: np.ndarray) -> np.ndarray:
    """Any shape -> the same shape, max(z, 0) as floats."""
    return torch.relu(_tensor(z)).numpy()


def relu_grad(z: np.ndarray) -> np.ndarray:
    """Any shape -> the same shape: 1.0 where z > 0, else 0.0."""
    return (_tensor(z) > 0).double().numpy()


def softmax(Z: np.ndarray) -> np.ndarray:
    """(N, K) logits -> (N, K) row-wise probabilities."""
    return torch.softmax(_tensor(Z), dim=1).numpy()


def cross_entropy(Z: np.ndarray, y: np.ndarray) -> float:
    """(N, K) logits, (N,) labels -> the batch mean of -log softmax(Z)[n, y[n]]."""
    return float(F.cross_entropy(_tensor(Z), torch.as_tensor(y, dtype=torch.long)))


def linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """X (N, D), W (D, M), b (M,) -> (X @ W + b of shape (N, M), the cache (X, W, b))."""
    return F.linear(_tensor(X), _tensor(W).T, _tensor(b)).numpy(), (X, W, b)


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, M) and the cache (X, W, b) -> (dX (N, D), dW (D, M), db (M,)), by autograd."""
    X, W, b = (_tensor(a).requires_grad_() for a in cache)
    F.linear(X, W.T, b).backward(_tensor(dout))
    return X.grad.numpy(), W.grad.numpy(), b.grad.numpy()


def mlp_forward_backward(
    params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """The mean cross-entropy of relu(X @ W1 + b1) @ W2 + b2 and its gradients, by autograd.

    ``params`` holds W1 (D, H), b1 (H,), W2 (H, K), b2 (K,); the gradients have the same keys
    and shapes.
    """
    p = {key: _tensor(value).requires_grad_() for key, value in params.items()}
    logits = torch.relu(_tensor(X) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    loss = F.cross_entropy(logits, torch.as_tensor(y, dtype=torch.long))
    loss.backward()
    return loss.item(), {key: value.grad.numpy() for key, value in p.items()}


# Notebook 02.


def conv_output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """floor((n + 2 * padding - k) / stride) + 1, the side of nn.Conv2d's output."""
    return (n + 2 * padding - k) // stride + 1


# Notebook 04.


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv), mask True = may attend ->
    (out (..., Lq, dv), weights (..., Lq, Lk))."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


class MultiHeadAttentionTwin(nn.Module):
    """Notebook 04's MultiHeadAttention on ``F.multi_head_attention_forward``, with the course's
    ``qkv`` (dim -> 3 dim, [q | k | v]) and ``proj`` layers: (B, N, dim) -> (B, N, dim)."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        B, N, dim = x.shape
        hidden = None  # PyTorch's boolean masks mean the opposite: True = may NOT attend
        if mask is not None:
            hidden = ~mask.expand(B, self.num_heads, N, N).reshape(B * self.num_heads, N, N)
        tokens = x.transpose(0, 1)  # (N, B, dim), the functional form's layout
        out, weights = F.multi_head_attention_forward(
            tokens, tokens, tokens, dim, self.num_heads, self.qkv.weight, self.qkv.bias,
            None, None, False, 0.0, self.proj.weight, self.proj.bias, training=False,
            need_weights=True, attn_mask=hidden, average_attn_weights=False,
        )  # fmt: skip
        out = out.transpose(0, 1)
        return (out, weights) if return_attention else out


class TransformerBlockTwin(nn.Module):
    """Notebook 04's pre-norm TransformerBlock (norm1, attn, norm2, and a GELU mlp of
    ``int(dim * mlp_ratio)`` units) on :class:`MultiHeadAttentionTwin`: (B, N, dim) -> (B, N, dim)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = MultiHeadAttentionTwin(dim, num_heads)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbedTwin(nn.Module):
    """Notebook 04's PatchEmbed from one strided convolution: (B, C, H, W) -> (B, num_patches, dim),
    patches in row-major order."""

    def __init__(self, img_size: int, patch_size: int, in_chans: int, dim: int) -> None:
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, dim, patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


def reseed_in_call_order(module: nn.Module, *inputs: torch.Tensor, seed: int) -> list[list[int]]:
    """Fills ``module``'s parameters reproducibly, whatever its registration order or init.

    ``module(*inputs)`` runs once without gradients to find the order in which its submodules
    are first called; each called module's own parameters are then filled by name (``bias``
    before ``weight``), each with ``numel`` values of N(0, 1 / fan_in) drawn from one generator
    seeded with ``seed`` and reshaped, so a linear layer and an equivalent convolution get the
    same numbers. Parameters of modules the forward pass never calls come last, by name.
    Batch-norm running statistics are reset afterwards, and the training mode is kept.

    Args:
        module: the module to fill (in place).
        inputs: inputs of one forward pass, e.g. a small batch of the right shape.
        seed: the generator's seed.

    Returns:
        The parameters' shapes in the order they were filled: a record of the architecture that
        does not depend on the order the layers were registered in.
    """
    order: list[nn.Module] = []
    hooks = [
        m.register_forward_pre_hook(lambda m, _: order.append(m) if m not in order else None)
        for m in module.modules()
    ]
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    order += [m for m in module.modules() if m not in order]
    generator = torch.Generator().manual_seed(seed)
    shapes = []
    with torch.no_grad():
        for m in order:
            for _, parameter in sorted(m.named_parameters(recurse=False)):
                fan_in = parameter.numel() // parameter.shape[0] if parameter.dim() > 1 else 4
                values = torch.randn(parameter.numel(), generator=generator, dtype=torch.float64)
                parameter.copy_((values / math.sqrt(fan_in)).reshape(parameter.shape))
                shapes.append(list(parameter.shape))
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.reset_running_stats()
    return shapes


# Notebook 06.


def rnn_step(
    x_t: np.ndarray, h_prev: np.ndarray, U: np.ndarray, V: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """x_t (N, m), h_prev (N, n), U (n, m), V (n, n), b (n,) -> tanh(x_t U^T + h_prev V^T + b) (N, n),
    by ``F.rnn_tanh_cell``."""
    return torch.rnn_tanh_cell(
        _tensor(x_t), _tensor(h_prev), _tensor(U), _tensor(V), _tensor(b)
    ).numpy()


def rnn_forward(
    X: np.ndarray, h0: np.ndarray, U: np.ndarray, V: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """X (N, T, m), h0 (N, n) -> (H (N, T, n), the cache (X, h0, U, V, b, H)), by ``torch.rnn_tanh``."""
    b_t = _tensor(b)
    params = [_tensor(U), _tensor(V), b_t, torch.zeros_like(b_t)]
    H, _ = torch.rnn_tanh(_tensor(X), _tensor(h0)[None], params, True, 1, 0.0, False, False, True)
    H = H.numpy()
    return H, (X, h0, U, V, b, H)


def sequence_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """lengths (N,) -> bool (N, max_len), True where t < lengths[n]."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


class AdditiveAttentionTwin(nn.Module):
    """Notebook 06's AdditiveAttention (Bahdanau): scores v^T tanh(W_q q + W_k k_t), softmax over t.

    ``W_q`` (query_dim -> hidden_dim), ``W_k`` (key_dim -> hidden_dim) and ``v`` (hidden_dim -> 1)
    are linear layers without bias; ``forward(query (N, query_dim), keys (N, T, key_dim), mask
    (N, T) True = may attend)`` -> (context (N, key_dim), weights (N, T)).
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.W_q = nn.Linear(query_dim, hidden_dim, bias=False)
        self.W_k = nn.Linear(key_dim, hidden_dim, bias=False)
        self.v = nn.Linear(hidden_dim, 1, bias=False)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.v(torch.tanh(self.W_q(query)[:, None, :] + self.W_k(keys)))[..., 0]
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)  # (N, T)
        return torch.bmm(weights[:, None, :], keys)[:, 0], weights
