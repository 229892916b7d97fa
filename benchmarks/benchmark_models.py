"""Models more than one benchmark trains; the scripts import this from their own folder."""

from __future__ import annotations

from torch import nn

__all__ = ["lenet"]


def lenet() -> nn.Module:
    """LeNet-5 for 28x28 digits, as on the slides but with ReLU and padding 2 on conv1."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
