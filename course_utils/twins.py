"""Helpers that make hidden tests independent of how a correct student wrote a module.

Two students can write the same network in different, equally correct ways: layers registered
in another order, in an ``nn.Sequential`` or as attributes, initialised by PyTorch's defaults or
by Xavier. A hidden test that records the outputs of a freshly built module would tell them
apart by their initial weights, not by their code. :func:`reseed_in_call_order` gives every
parameter a value that depends only on what the forward pass computes: parameters are filled in
the order their modules are first *called*, from one seeded generator.

The twins (:class:`TransformerBlockTwin`, :class:`PatchEmbedTwin`) are the course's graded
building blocks made from PyTorch's own layers. A later exercise's hidden tests put them in
place of the student's earlier pieces, so that a mistake in, say, ``TransformerBlock`` costs
the points of that exercise only, not those of the ``VisionTransformer`` built on it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["PatchEmbedTwin", "TransformerBlockTwin", "reseed_in_call_order"]


class TransformerBlockTwin(nn.Module):
    """Notebook 04's TransformerBlock (pre-norm, GELU MLP of ``int(dim * mlp_ratio)`` units) from
    ``nn.TransformerEncoderLayer``: (B, N, dim) -> (B, N, dim)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            dim, num_heads, int(dim * mlp_ratio), dropout=0.0, activation="gelu",
            batch_first=True, norm_first=True,
        )  # fmt: skip

    def forward(self, x: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        return self.layer(x)


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
