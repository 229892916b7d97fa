"""Tests for course_utils/twins.py: hidden-test weights that do not depend on how a module was written."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

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
    from course_utils.twins import PatchEmbedTwin, TransformerBlockTwin

    embed = PatchEmbedTwin(12, 4, 3, 5)
    images = torch.randn(2, 3, 12, 12)
    tokens = embed(images)
    assert tokens.shape == (2, 9, 5) and embed.num_patches == 9
    # patch 1 is the second patch of the first row
    torch.testing.assert_close(tokens[:, 1], embed.proj(images[:, :, :4, 4:8]).flatten(1))
    block = TransformerBlockTwin(8, 2, mlp_ratio=2.0)
    assert block(tokens.new_zeros(2, 3, 8)).shape == (2, 3, 8)
    assert block.layer.linear1.out_features == 16
