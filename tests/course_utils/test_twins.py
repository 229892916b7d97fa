"""Tests for course_utils/twins.py: hidden-test weights that do not depend on how a module was written."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import twins
from course_utils.twins import reseed_in_call_order


class Backwards(nn.Module):
    """conv-relu-pool-linear, its layers registered last-first and initialised by Xavier."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4 * 3 * 3, 5)
        self.bn = nn.BatchNorm2d(4)
        self.conv = nn.Conv2d(2, 4, 3)
        for layer in (self.fc, self.conv):
            nn.init.xavier_uniform_(layer.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(x.flatten(1))


def test_two_ways_of_writing_one_network_give_one_output():
    sequential = nn.Sequential(
        nn.Conv2d(2, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(36, 5),
    )
    backwards = Backwards()
    x = torch.randn(3, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    shapes = [reseed_in_call_order(m, x, seed=7) for m in (sequential, backwards)]
    assert shapes[0] == shapes[1] == [[4], [4, 2, 3, 3], [4], [4], [5], [5, 36]]
    # running statistics of the probe pass are gone; the mode is kept
    assert sequential.training and float(sequential[1].running_mean.abs().sum()) == 0.0
    torch.testing.assert_close(sequential(x), backwards(x))


def test_a_linear_and_a_convolution_over_one_patch_get_the_same_numbers():
    conv, linear = nn.Conv2d(3, 8, 4, stride=4), nn.Linear(3 * 4 * 4, 8)
    patch = torch.randn(1, 3, 4, 4)
    reseed_in_call_order(conv, patch, seed=1)
    reseed_in_call_order(linear, patch.flatten(1), seed=1)
    torch.testing.assert_close(conv(patch).flatten(1), linear(patch.flatten(1)))


def test_the_twins_compute_what_the_course_asks_for():
    embed = twins.PatchEmbedTwin(12, 4, 3, 5)
    images = torch.randn(2, 3, 12, 12)
    tokens = embed(images)
    assert tokens.shape == (2, 9, 5) and embed.num_patches == 9
    # patch 1 is the second patch of the first row
    torch.testing.assert_close(tokens[:, 1], embed.proj(images[:, :, :4, 4:8]).flatten(1))
    block = twins.TransformerBlockTwin(8, 2, mlp_ratio=2.0)
    assert block(tokens.new_zeros(2, 3, 8)).shape == (2, 3, 8)
    assert block.mlp[0].out_features == 16
    assert twins.conv_output_size(28, 5, padding=2, stride=2) == 14


def test_the_attention_twin_is_pytorchs_multihead_attention_with_the_courses_masks():
    torch.manual_seed(0)
    attn = twins.MultiHeadAttentionTwin(16, 4)
    theirs = nn.MultiheadAttention(16, 4, batch_first=True)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(attn.qkv.weight)
        theirs.in_proj_bias.copy_(attn.qkv.bias)
        theirs.out_proj.weight.copy_(attn.proj.weight)
        theirs.out_proj.bias.copy_(attn.proj.bias)
    x = torch.randn(2, 5, 16)
    out, weights = attn(x, return_attention=True)
    expected, expected_weights = theirs(x, x, x, average_attn_weights=False)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(weights, expected_weights)
    causal = torch.ones(5, 5, dtype=torch.bool).tril()  # True = may attend, as in the course
    torch.testing.assert_close(attn(x, mask=causal), theirs(x, x, x, attn_mask=~causal)[0])
    keep = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    torch.testing.assert_close(
        attn(x, mask=keep[:, None, None, :]), theirs(x, x, x, key_padding_mask=~keep)[0]
    )
    # the functional attention twin agrees with the module's heads
    q = k = v = torch.randn(2, 4, 5, 4)
    out, weights = twins.scaled_dot_product_attention(q, k, v, causal)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    assert bool((weights[..., ~causal] == 0).all())


def test_the_numpy_twins_follow_the_docstrings_of_notebook_01():
    rng = np.random.default_rng(0)
    Z, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    np.testing.assert_allclose(twins.relu(np.array([-2, 0, 3])), [0.0, 0.0, 3.0])
    assert twins.relu(np.array([-2, 3])).dtype == np.float64
    np.testing.assert_allclose(twins.relu_grad(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(twins.sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(twins.tanh(np.array([0.0, 1000.0])), [0.0, 1.0])
    probs = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(twins.softmax(Z), probs)
    np.testing.assert_allclose(twins.cross_entropy(Z, y), -np.log(probs[range(4), y]).mean())
    X, W, b = rng.normal(size=(4, 2)), rng.normal(size=(2, 3)), rng.normal(size=3)
    out, cache = twins.linear_forward(X, W, b)
    np.testing.assert_allclose(out, X @ W + b)
    dX, dW, db = twins.linear_backward(Z, cache)
    np.testing.assert_allclose(dX, Z @ W.T)
    np.testing.assert_allclose(dW, X.T @ Z)
    np.testing.assert_allclose(db, Z.sum(axis=0))
    params = {"W1": W, "b1": b, "W2": rng.normal(size=(3, 3)), "b2": rng.normal(size=3)}
    loss, grads = twins.mlp_forward_backward(params, X, y)
    hidden = np.maximum(X @ W + b, 0.0)
    np.testing.assert_allclose(loss, twins.cross_entropy(hidden @ params["W2"] + params["b2"], y))
    assert {key: g.shape for key, g in grads.items()} == {k: v.shape for k, v in params.items()}


def test_standing_in_puts_the_students_names_back_even_after_a_failed_check():
    namespace = {"relu": "mine"}
    with pytest.raises(AssertionError), twins.standing_in(namespace, relu=1, softmax=2):
        assert namespace == {"relu": 1, "softmax": 2}
        raise AssertionError("a check failed")
    assert namespace == {"relu": "mine"}


def test_the_twins_of_notebook_06_follow_its_docstrings():
    rng = np.random.default_rng(0)
    X, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4))
    U, V, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 4)), rng.normal(size=4)
    H, cache = twins.rnn_forward(X, h0, U, V, b)
    h = h0
    for t in range(5):
        h = np.tanh(X[:, t] @ U.T + h @ V.T + b)
        np.testing.assert_allclose(H[:, t], h)
    np.testing.assert_allclose(twins.rnn_step(X[:, 0], h0, U, V, b), H[:, 0])
    assert len(cache) == 6 and cache[5] is H and H.dtype == np.float64
    mask = twins.sequence_mask(torch.tensor([2, 0, 3]), 3)
    assert mask.dtype == torch.bool and mask.int().tolist() == [[1, 1, 0], [0, 0, 0], [1, 1, 1]]
    attn = twins.AdditiveAttentionTwin(4, 3, 5).double()
    query, keys = torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 3, 3, dtype=torch.float64)
    keep = twins.sequence_mask(torch.tensor([3, 1]), 3)
    context, weights = attn(query, keys, keep)
    scores = (
        attn.v.weight @ torch.tanh(attn.W_q(query)[:, None] + attn.W_k(keys)).transpose(1, 2)
    )[:, 0]
    expected = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=1)
    torch.testing.assert_close(weights, expected)
    torch.testing.assert_close(context, (expected[..., None] * keys).sum(1))
    assert weights[1, 1:].eq(0).all()
