"""Is the synthetic roof task calibrated? Notebook 05's three models on its CPU budget.

The capstone needs the generator's default difficulty to separate the architectures: trained as
in notebook 05's reference solution (the same models, augmentation, optimiser, schedule and
epochs, with ``course_utils.training.fit``), a plain MLP on pixels must stay clearly below the
CNN and the transformer (targets: MLP <= 0.75, CNN >= 0.92, transformer >= 0.85 test accuracy).
Prints each model's accuracy on the notebook's test split and on roofs from an unseen seed (what
the grader uses), its training time and whether the target is met.

    python benchmarks/roofs_calibration.py                            # the default generator
    python benchmarks/roofs_calibration.py --set max_trees=0 ambient=(0.1,0.3)
    python benchmarks/roofs_calibration.py --models cnn --epochs 10
"""

from __future__ import annotations

import argparse
import ast
import time

import numpy as np
import torch
import torchvision.transforms.v2 as T
from torch import nn

from course_utils.device import seed_everything
from course_utils.roofs import RenderConfig, RoofDataset, generate_roofs, load_roofs
from course_utils.training import fit, predict

TARGETS = {"mlp": ("<=", 0.75), "cnn": (">=", 0.92), "transformer": (">=", 0.85)}


class RandomQuarterTurn(nn.Module):
    """Turns an image (..., H, W) by 0, 90, 180 or 270 degrees, chosen at random."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.rot90(image, int(torch.randint(4, ())), dims=(-2, -1))


# Notebook 05's reference transform: the 8 symmetries of the square, mild colour changes.
TRAIN_TRANSFORM = T.Compose(
    [
        T.RandomHorizontalFlip(),
        RandomQuarterTurn(),
        T.RandomApply([T.ColorJitter(brightness=0.2, contrast=0.2)], p=0.3),
    ]
)


def pixel_mlp(num_classes: int = 3) -> nn.Module:
    """The notebook's baseline: (B, 3, 64, 64) pixels -> two hidden ReLU layers -> logits."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(3 * 64 * 64, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, num_classes),
    )


def roof_cnn(num_classes: int = 3, w: int = 16) -> nn.Module:
    """The reference ``build_roof_cnn``: strided stem, conv-BN-ReLU stages, global pooling."""

    def conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
        conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        return [conv, nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(
        *conv_bn_relu(3, w, stride=2),
        nn.MaxPool2d(2),
        *conv_bn_relu(w, 2 * w),
        nn.MaxPool2d(2),
        *conv_bn_relu(2 * w, 4 * w),
        *conv_bn_relu(4 * w, 4 * w),
        nn.MaxPool2d(2),
        *conv_bn_relu(4 * w, 8 * w),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8 * w, num_classes),
    )


class RoofViT(nn.Module):
    """The reference ``build_roof_transformer``: small conv stem, 8x8 tokens, class token."""

    def __init__(self, num_classes: int = 3, dim: int = 64, depth: int = 4, heads: int = 4):
        super().__init__()
        self.patch_embed = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, dim, 4, stride=4),
        )
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, 8 * 8 + 1, dim))
        layer = nn.TransformerEncoderLayer(
            dim, heads, 2 * dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)  # (B, 64, dim)
        tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1)
        return self.head(self.norm(self.blocks(tokens + self.pos_embed))[:, 0])


# name: (build, epochs, learning rate, augment and schedule) as in the notebook's reference
# solution: the baseline MLP trains with fit's default Adam on plain images; the CNN and the
# transformer with AdamW, a one-cycle schedule and the augmentation.
RECIPES = {
    "mlp": (pixel_mlp, 8, 3e-4, False),
    "cnn": (roof_cnn, 20, 3e-3, True),
    "transformer": (RoofViT, 30, 2e-3, True),
}


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    predicted = predict(model, RoofDataset(images, labels)).argmax(1).numpy()
    return float((predicted == labels).mean())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default=",".join(RECIPES))
    parser.add_argument("--epochs", type=int, default=0, help="0: each model's notebook epochs")
    parser.add_argument("--held-out-seed", type=int, default=2027)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="FIELD=VALUE", help="RenderConfig overrides"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = RenderConfig().replace(
        **{k: ast.literal_eval(v) for k, v in (a.split("=", 1) for a in args.set)}
    )

    start = time.perf_counter()
    train, val, test = load_roofs(as_dataset=True, config=config)
    held_out = generate_roofs(600, args.held_out_seed, split="test", config=config)
    print(
        f"rendered {len(train)} + {len(val)} + {len(test)} + 600 roofs (64x64) in "
        f"{time.perf_counter() - start:.1f} s; {args.threads} thread(s), torch {torch.__version__}"
    )
    for name in args.models.split(","):
        build, epochs, lr, recipe = RECIPES[name]
        epochs = args.epochs or epochs
        seed_everything(0)
        model = build()
        quiet = {"device": "cpu", "progress": False}
        if recipe:
            optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=lr, total_steps=epochs, pct_start=0.2
            )
            augmented = train.with_transform(TRAIN_TRANSFORM)
            history = fit(
                model,
                augmented,
                val,
                num_epochs=epochs,
                optimizer=optimizer,
                scheduler=scheduler,
                **quiet,
            )
        else:
            history = fit(model, train.arrays(), val.arrays(), num_epochs=epochs, lr=lr, **quiet)
        test_acc = accuracy(model, test.images, test.labels)
        held_acc = accuracy(model, *held_out)
        op, target = TARGETS[name]
        met = test_acc <= target if op == "<=" else test_acc >= target
        print(
            f"{name:11s} test accuracy {test_acc:.3f}, unseen seed {held_acc:.3f} "
            f"(target {op} {target}: {'met' if met else 'MISSED'}); {epochs} epochs in "
            f"{sum(history.seconds):.0f} s; {sum(p.numel() for p in model.parameters()):,} "
            "parameters",
            flush=True,
        )


if __name__ == "__main__":
    main()
