"""Plausible wrong answers to notebook 03 (attention networks), each of which must lose points.

Every ``source`` replaces a whole answer cell, ``def``/``class`` line included. The first entry
is the "one wrong function" of the end-to-end grading test, so it is a mistake whose effect stays
inside its own test cell (nothing later calls ``spatial_attention``'s result in a test).
"""

from __future__ import annotations

from tests.notebooks.mistakes import Mistake

__all__ = ["ASSIGNMENT", "MISTAKES"]

ASSIGNMENT = "03_attention_networks"


def _function(name: str, signature: str, body: str) -> str:
    return f"def {name}({signature}) -> torch.Tensor:\n{body}"


def _mixed(body: str) -> str:
    return _function("mixed_attention", "x: torch.Tensor", body)


def _channel(body: str) -> str:
    return _function("channel_attention", "x: torch.Tensor, eps: float = 1e-12", body)


def _spatial(body: str) -> str:
    return _function("spatial_attention", "x: torch.Tensor, eps: float = 1e-5", body)


_MASK_INIT = """\
class MaskBranch(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.down = {down}
        self.residual = ResidualUnit(channels)
        self.out = nn.Conv2d(channels, channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
{forward}"""

_MAX_POOL = "nn.MaxPool2d(kernel_size=3, stride=2, padding=1)"


def _mask(forward: str, down: str = _MAX_POOL) -> str:
    return _MASK_INIT.format(down=down, forward=forward)


def _bilinear_forward(upsample: str, squash: str = "torch.sigmoid(self.out(h))") -> str:
    return (
        "        h = self.residual(self.down(x))\n"
        f"        h = {upsample}\n"
        f"        return {squash}\n"
    )


_RIGHT_UPSAMPLE = 'F.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=False)'

_MODULE = """\
class AttentionModule(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.trunk = ResidualUnit(channels)
        self.mask = MaskBranch(channels)
        self.last_mask = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
{forward}"""


def _module(forward: str) -> str:
    return _MODULE.format(forward=forward)


_NET = """\
def build_attention_net(num_classes: int = 10) -> nn.Sequential:
    return nn.Sequential(
{layers}
    )
"""

_RIGHT_LAYERS = [
    "nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False)",
    "nn.BatchNorm2d(16)",
    "nn.ReLU()",
    "nn.MaxPool2d(2)",
    "AttentionModule(16)",
    "nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False)",
    "nn.BatchNorm2d(32)",
    "nn.ReLU()",
    "nn.MaxPool2d(2)",
    "AttentionModule(32)",
    "nn.BatchNorm2d(32)",
    "nn.ReLU()",
    "nn.AdaptiveAvgPool2d(1)",
    "nn.Flatten()",
    "nn.Linear(32, num_classes)",
]


def _net(layers: list[str]) -> str:
    return _NET.format(layers="\n".join(f"        {layer}," for layer in layers))


def _replace(layers: list[str], index: int, *new: str) -> list[str]:
    return [*layers[:index], *new, *layers[index + 1 :]]


MISTAKES = [
    # --- spatial_attention -------------------------------------------------------------------
    Mistake(
        "spatial_attention",
        "test_spatial_attention",
        _spatial(
            "    mean = x.mean(dim=(2, 3), keepdim=True)\n"
            "    var = x.var(dim=(2, 3), keepdim=True)  # unbiased: divides by H * W - 1\n"
            "    return torch.sigmoid((x - mean) / torch.sqrt(var + eps))\n"
        ),
        "unbiased variance",
    ),
    Mistake(
        "spatial_attention",
        "test_spatial_attention",
        _spatial(
            "    mean = x.mean(dim=1, keepdim=True)\n"
            "    var = x.var(dim=1, unbiased=False, keepdim=True)\n"
            "    return torch.sigmoid((x - mean) / torch.sqrt(var + eps))\n"
        ),
        "statistics over the channels",
    ),
    Mistake(
        "spatial_attention",
        "test_spatial_attention",
        _spatial(
            "    mean = x.mean(dim=(0, 2, 3), keepdim=True)\n"
            "    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)\n"
            "    return torch.sigmoid((x - mean) / torch.sqrt(var + eps))\n"
        ),
        "statistics over the batch",
    ),
    Mistake(
        "spatial_attention",
        "test_spatial_attention",
        _spatial(
            "    mean = x.mean(dim=(2, 3), keepdim=True)\n"
            "    var = x.var(dim=(2, 3), unbiased=False, keepdim=True)\n"
            "    return (x - mean) / torch.sqrt(var + eps)\n"
        ),
        "no sigmoid",
    ),
    Mistake(
        "spatial_attention",
        "test_spatial_attention",
        _spatial(
            "    mean = x.mean(dim=(2, 3), keepdim=True)\n"
            "    std = x.std(dim=(2, 3), unbiased=False, keepdim=True)\n"
            "    return torch.sigmoid((x - mean) / std)\n"
        ),
        "no eps: NaN for a constant map",
    ),
    # --- mixed_attention ---------------------------------------------------------------------
    Mistake(
        "mixed_attention",
        "test_mixed_attention",
        _mixed("    return torch.softmax(x, dim=1)\n"),
        "softmax over channels",
    ),
    Mistake(
        "mixed_attention",
        "test_mixed_attention",
        _mixed("    return 1 / (1 + torch.exp(x))\n"),
        "sign flipped",
    ),
    Mistake(
        "mixed_attention",
        "test_mixed_attention",
        _mixed("    return x * torch.sigmoid(x)\n"),
        "returns the masked features",
    ),
    Mistake(
        "mixed_attention",
        "test_mixed_attention",
        _mixed("    return x.sigmoid_()\n"),
        "sigmoid in place",
    ),
    # --- channel_attention -------------------------------------------------------------------
    Mistake(
        "channel_attention",
        "test_channel_attention",
        _channel(
            "    norm = x.pow(2).sum(dim=(2, 3), keepdim=True).sqrt()\n"
            "    return x / norm.clamp_min(eps)\n"
        ),
        "norm over space",
    ),
    Mistake(
        "channel_attention",
        "test_channel_attention",
        _channel("    return x / x.abs().sum(dim=1, keepdim=True).clamp_min(eps)\n"),
        "L1 norm",
    ),
    Mistake(
        "channel_attention",
        "test_channel_attention",
        _channel("    return x / x.norm(dim=1, keepdim=True)\n"),
        "no eps: NaN for zero vectors",
    ),
    Mistake(
        "channel_attention",
        "test_channel_attention",
        _channel("    return x / x.pow(2).sum(dim=1, keepdim=True).clamp_min(eps)\n"),
        "squared norm",
    ),
    Mistake(
        "channel_attention",
        "test_channel_attention",
        _channel(
            "    x /= x.pow(2).sum(dim=1, keepdim=True).sqrt().clamp_min(eps)\n    return x\n"
        ),
        "divides in place",
    ),
    # --- MaskBranch --------------------------------------------------------------------------
    Mistake(
        "MaskBranch",
        "test_MaskBranch",
        _mask(_bilinear_forward('F.interpolate(h, size=x.shape[-2:], mode="nearest")')),
        "nearest upsampling",
    ),
    Mistake(
        "MaskBranch",
        "test_MaskBranch",
        _mask(_bilinear_forward(_RIGHT_UPSAMPLE, squash="self.out(h)")),
        "no sigmoid",
    ),
    Mistake(
        "MaskBranch",
        "test_MaskBranch",
        _mask(
            _bilinear_forward(
                'F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)'
            )
        ),
        "scale_factor=2 breaks odd sizes",
    ),
    Mistake(
        "MaskBranch",
        "test_MaskBranch",
        _mask(
            "        h = self.residual(x)\n        return torch.sigmoid(self.out(h))\n",
        ),
        "no downsampling",
    ),
    Mistake(
        "MaskBranch",
        "test_MaskBranch",
        _mask(
            _bilinear_forward(
                'F.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=True)'
            )
        ),
        "align_corners=True",
    ),
    Mistake(
        "MaskBranch",
        "test_MaskBranch",
        _mask(
            _bilinear_forward(_RIGHT_UPSAMPLE),
            down="nn.AvgPool2d(kernel_size=3, stride=2, padding=1)",
        ),
        "average pooling",
    ),
    # --- AttentionModule ---------------------------------------------------------------------
    Mistake(
        "AttentionModule",
        "test_AttentionModule",
        _module(
            "        trunk = self.trunk(x)\n"
            "        mask = self.mask(x)\n"
            "        self.last_mask = mask.detach()\n"
            "        return mask * trunk\n"
        ),
        "naive attention M * F",
    ),
    Mistake(
        "AttentionModule",
        "test_AttentionModule",
        _module(
            "        mask = self.mask(x)\n"
            "        self.last_mask = mask.detach()\n"
            "        return (1 + mask) * x\n"
        ),
        "mask applied to the input",
    ),
    Mistake(
        "AttentionModule",
        "test_AttentionModule",
        _module(
            "        trunk = self.trunk(x)\n"
            "        mask = self.mask(trunk)\n"
            "        self.last_mask = mask.detach()\n"
            "        return (1 + mask) * trunk\n"
        ),
        "mask computed from the trunk output",
    ),
    Mistake(
        "AttentionModule",
        "test_AttentionModule",
        _module("        return (1 + self.mask(x)) * self.trunk(x)\n"),
        "last_mask not stored",
    ),
    Mistake(
        "AttentionModule",
        "test_AttentionModule",
        _module(
            "        trunk = self.trunk(x)\n"
            "        mask = self.mask(x)\n"
            "        self.last_mask = mask.detach()\n"
            "        return trunk + mask\n"
        ),
        "adds the mask",
    ),
    # --- build_attention_net -----------------------------------------------------------------
    Mistake(
        "build_attention_net",
        "test_build_attention_net",
        _net(_RIGHT_LAYERS[:2] + _RIGHT_LAYERS[3:]),
        "missing ReLU",
    ),
    Mistake(
        "build_attention_net",
        "test_build_attention_net",
        _net(
            _replace(
                _replace(_RIGHT_LAYERS, 14, "nn.Linear(32 * 7 * 7, num_classes)"),
                12,
                "nn.Identity()",
            )
        ),
        "flattens instead of pooling",
    ),
    Mistake(
        "build_attention_net",
        "test_build_attention_net",
        _net([*_RIGHT_LAYERS[:3], "AttentionModule(16)", "nn.MaxPool2d(2)", *_RIGHT_LAYERS[5:]]),
        "attention before the pool",
    ),
    Mistake(
        "build_attention_net",
        "test_build_attention_net",
        _net(_replace(_RIGHT_LAYERS, 14, "nn.Linear(32, 10)")),
        "num_classes ignored",
    ),
    Mistake(
        "build_attention_net",
        "test_build_attention_net",
        _net(_RIGHT_LAYERS[:10] + _RIGHT_LAYERS[12:]),
        "no final batch norm and ReLU",
    ),
    # --- promises of the docstrings: inputs never modified, any map size, a detached mask ----
    Mistake(
        "spatial_attention",
        "test_spatial_attention",
        _spatial(
            "    x -= x.mean(dim=(2, 3), keepdim=True)\n"
            "    var = x.pow(2).mean(dim=(2, 3), keepdim=True)\n"
            "    return torch.sigmoid(x / torch.sqrt(var + eps))\n"
        ),
        "centres x in place, changing the caller's tensor",
    ),
    Mistake(
        "MaskBranch",
        "test_MaskBranch",
        _mask(
            _bilinear_forward(
                'F.interpolate(h, size=(x.shape[-1], x.shape[-1]), mode="bilinear", '
                "align_corners=False)"
            )
        ),
        "upsamples to a square of the input's width: wrong for maps that are not square",
    ),
    Mistake(
        "AttentionModule",
        "test_AttentionModule",
        _module(
            "        trunk = self.trunk(x)\n"
            "        mask = self.mask(x)\n"
            "        self.last_mask = mask\n"
            "        return (1 + mask) * trunk\n"
        ),
        "keeps last_mask attached to the graph (not detached)",
    ),
    # --- quiz --------------------------------------------------------------------------------
    *(
        Mistake(
            "attention_quiz",
            "test_attention_quiz",
            f'attention_quiz_answer = "{wrong}"\n',
            why,
            hidden_only=True,
        )
        for wrong, why in (
            ("a", "thinks masks add no parameters"),
            ("b", "thinks masks are fixed"),
            ("c", "forgets that M = 0 gives F"),
        )
    ),
]
