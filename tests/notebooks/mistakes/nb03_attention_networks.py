"""Plausible wrong answers to notebook 03 (attention networks), each of which must lose points.

Every mistake is built with :func:`~tests.notebooks.mistakes.mistake`: the reference answer read
out of the solution notebook with the misconception edited in as ``(old, new)`` texts, so no copy
of an answer lives here. The first entry is the "one wrong function" of the end-to-end grading
test, so it is a mistake whose effect stays inside its own test cell (nothing later calls
``spatial_attention``'s result in a test).
"""

from __future__ import annotations

from tests.notebooks.mistakes import mistake, quiz

__all__ = ["ASSIGNMENT", "MISTAKES"]

ASSIGNMENT = "03_attention_networks"


MISTAKES = [
    # --- spatial_attention -------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "spatial_attention",
        "test_spatial_attention",
        "unbiased variance",
        ("unbiased=False, ", ""),
    ),
    mistake(
        ASSIGNMENT,
        "spatial_attention",
        "test_spatial_attention",
        "statistics over the channels",
        ("x.mean(dim=(2, 3)", "x.mean(dim=1"),
        ("x.var(dim=(2, 3)", "x.var(dim=1"),
    ),
    mistake(
        ASSIGNMENT,
        "spatial_attention",
        "test_spatial_attention",
        "statistics over the batch",
        ("x.mean(dim=(2, 3)", "x.mean(dim=(0, 2, 3)"),
        ("x.var(dim=(2, 3)", "x.var(dim=(0, 2, 3)"),
    ),
    mistake(
        ASSIGNMENT,
        "spatial_attention",
        "test_spatial_attention",
        "no sigmoid",
        (
            "return torch.sigmoid((x - mean) / torch.sqrt(var + eps))",
            "return (x - mean) / torch.sqrt(var + eps)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "spatial_attention",
        "test_spatial_attention",
        "no eps: NaN for a constant map",
        ("torch.sqrt(var + eps)", "torch.sqrt(var)"),
    ),
    # --- mixed_attention ---------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "mixed_attention",
        "test_mixed_attention",
        "softmax over channels",
        ("torch.sigmoid(x)", "torch.softmax(x, dim=1)"),
    ),
    mistake(
        ASSIGNMENT,
        "mixed_attention",
        "test_mixed_attention",
        "sign flipped",
        ("torch.sigmoid(x)", "1 / (1 + torch.exp(x))"),
    ),
    mistake(
        ASSIGNMENT,
        "mixed_attention",
        "test_mixed_attention",
        "returns the masked features",
        ("torch.sigmoid(x)", "x * torch.sigmoid(x)"),
    ),
    mistake(
        ASSIGNMENT,
        "mixed_attention",
        "test_mixed_attention",
        "sigmoid in place",
        ("torch.sigmoid(x)", "x.sigmoid_()"),
    ),
    # --- channel_attention -------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "channel_attention",
        "test_channel_attention",
        "norm over space",
        ("sum(dim=1, keepdim=True)", "sum(dim=(2, 3), keepdim=True)"),
    ),
    mistake(
        ASSIGNMENT,
        "channel_attention",
        "test_channel_attention",
        "L1 norm",
        ("x.pow(2).sum(dim=1, keepdim=True).sqrt()", "x.abs().sum(dim=1, keepdim=True)"),
    ),
    mistake(
        ASSIGNMENT,
        "channel_attention",
        "test_channel_attention",
        "no eps: NaN for zero vectors",
        ("return x / norm.clamp_min(eps)", "return x / norm"),
    ),
    mistake(
        ASSIGNMENT,
        "channel_attention",
        "test_channel_attention",
        "squared norm",
        (".sqrt()", ""),
    ),
    mistake(
        ASSIGNMENT,
        "channel_attention",
        "test_channel_attention",
        "divides in place",
        ("return x / norm.clamp_min(eps)", "x /= norm.clamp_min(eps)\n    return x"),
    ),
    # --- MaskBranch --------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "MaskBranch",
        "test_MaskBranch",
        "nearest upsampling",
        ('mode="bilinear", align_corners=False)', 'mode="nearest")'),
    ),
    mistake(
        ASSIGNMENT,
        "MaskBranch",
        "test_MaskBranch",
        "no sigmoid",
        ("return torch.sigmoid(self.out(h))", "return self.out(h)"),
    ),
    mistake(
        ASSIGNMENT,
        "MaskBranch",
        "test_MaskBranch",
        "scale_factor=2 breaks odd sizes",
        ("size=x.shape[-2:]", "scale_factor=2"),
    ),
    mistake(
        ASSIGNMENT,
        "MaskBranch",
        "test_MaskBranch",
        "no downsampling",
        ("self.residual(self.down(x))", "self.residual(x)"),
    ),
    mistake(
        ASSIGNMENT,
        "MaskBranch",
        "test_MaskBranch",
        "align_corners=True",
        ("align_corners=False)", "align_corners=True)"),
    ),
    mistake(
        ASSIGNMENT,
        "MaskBranch",
        "test_MaskBranch",
        "average pooling",
        ("self.down = nn.MaxPool2d(", "self.down = nn.AvgPool2d("),
    ),
    # --- AttentionModule ---------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "AttentionModule",
        "test_AttentionModule",
        "naive attention M * F",
        ("return (1 + mask) * trunk", "return mask * trunk"),
    ),
    mistake(
        ASSIGNMENT,
        "AttentionModule",
        "test_AttentionModule",
        "mask applied to the input",
        ("        trunk = self.trunk(x)\n", ""),
        ("return (1 + mask) * trunk", "return (1 + mask) * x"),
    ),
    mistake(
        ASSIGNMENT,
        "AttentionModule",
        "test_AttentionModule",
        "mask computed from the trunk output",
        ("mask = self.mask(x)", "mask = self.mask(trunk)"),
    ),
    mistake(
        ASSIGNMENT,
        "AttentionModule",
        "test_AttentionModule",
        "last_mask not stored",
        ("        self.last_mask = mask.detach()\n", ""),
    ),
    mistake(
        ASSIGNMENT,
        "AttentionModule",
        "test_AttentionModule",
        "adds the mask",
        ("return (1 + mask) * trunk", "return trunk + mask"),
    ),
    # --- build_attention_net -----------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "build_attention_net",
        "test_build_attention_net",
        "missing ReLU",
        ("nn.BatchNorm2d(16),\n        nn.ReLU(),\n", "nn.BatchNorm2d(16),\n"),
    ),
    mistake(
        ASSIGNMENT,
        "build_attention_net",
        "test_build_attention_net",
        "flattens instead of pooling",
        ("nn.AdaptiveAvgPool2d(1)", "nn.Identity()"),
        ("nn.Linear(32, num_classes)", "nn.Linear(32 * 7 * 7, num_classes)"),
    ),
    mistake(
        ASSIGNMENT,
        "build_attention_net",
        "test_build_attention_net",
        "attention before the pool",
        (
            "nn.MaxPool2d(2),  # (N, 16, 14, 14)\n        AttentionModule(16),",
            "AttentionModule(16),\n        nn.MaxPool2d(2),  # (N, 16, 14, 14)",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "build_attention_net",
        "test_build_attention_net",
        "num_classes ignored",
        ("nn.Linear(32, num_classes)", "nn.Linear(32, 10)"),
    ),
    mistake(
        ASSIGNMENT,
        "build_attention_net",
        "test_build_attention_net",
        "no final batch norm and ReLU",
        (
            "AttentionModule(32),\n        nn.BatchNorm2d(32),\n        nn.ReLU(),\n",
            "AttentionModule(32),\n",
        ),
    ),
    # --- promises of the docstrings: inputs never modified, any map size, a detached mask ----
    mistake(
        ASSIGNMENT,
        "spatial_attention",
        "test_spatial_attention",
        "centres x in place, changing the caller's tensor",
        (
            "    return torch.sigmoid((x - mean) / torch.sqrt(var + eps))",
            "    x -= mean\n    return torch.sigmoid(x / torch.sqrt(var + eps))",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "MaskBranch",
        "test_MaskBranch",
        "upsamples to a square of the input's width: wrong for maps that are not square",
        ("size=x.shape[-2:]", "size=(x.shape[-1], x.shape[-1])"),
    ),
    mistake(
        ASSIGNMENT,
        "AttentionModule",
        "test_AttentionModule",
        "keeps last_mask attached to the graph (not detached)",
        ("self.last_mask = mask.detach()", "self.last_mask = mask"),
    ),
    # --- quiz --------------------------------------------------------------------------------
    *quiz(
        [
            mistake(
                ASSIGNMENT,
                "attention_quiz",
                "test_attention_quiz",
                why,
                ('attention_quiz_answer = "d"', f'attention_quiz_answer = "{wrong}"'),
            )
            for wrong, why in (
                ("a", "thinks masks add no parameters"),
                ("b", "thinks masks are fixed"),
                ("c", "forgets that M = 0 gives F"),
            )
        ]
    ),
]
