"""Plausible student mistakes in notebook 05 (roof-type capstone); each must lose its test cell's points.

The trained models' accuracy is graded on held-out roofs; the mistakes here are in the pieces
whose tests run before training: the transforms and the two architectures. Every mistake is the
reference answer with one misconception edited in (see ``variant``).
"""

from __future__ import annotations

from tests.notebooks.mistakes import Mistake, variant

ASSIGNMENT = "05_roof_type_exercise"


# --- reference answers (the solution notebook's answer cells, docstrings left out) -----------

TRANSFORMS = """\
train_transform = T.Compose(
    [
        T.RandomHorizontalFlip(),
        RandomQuarterTurn(),
        T.RandomApply([T.ColorJitter(brightness=0.2, contrast=0.2)], p=0.3),
    ]
)
eval_transform = T.Identity()
"""

CNN = """\
def build_roof_cnn(num_classes=3):
    def conv_bn_relu(c_in, c_out, stride=1):
        return [
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        ]

    w = 16
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
"""

TRANSFORMER = """\
def build_roof_transformer(num_classes=3):
    return RoofViT(num_classes)


class RoofViT(nn.Module):
    def __init__(self, num_classes, dim=64, depth=4, num_heads=4):
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
            dim, num_heads, dim_feedforward=2 * dim, dropout=0.0, activation="gelu",
            batch_first=True, norm_first=True,
        )
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(len(tokens), -1, -1)
        tokens = torch.cat([cls, tokens], dim=1) + self.pos_embed
        return self.head(self.norm(self.blocks(tokens))[:, 0])
"""

MISTAKES = [
    # --- train_transform and eval_transform -------------------------------------------------
    Mistake(
        "transforms",
        "test_transforms",
        variant(TRANSFORMS, ("eval_transform = T.Identity()", "eval_transform = train_transform")),
        "augments the test images too",
    ),
    Mistake(
        "transforms",
        "test_transforms",
        "train_transform = T.Identity()\neval_transform = T.Identity()\n",
        "no augmentation at all",
    ),
    Mistake(
        "transforms",
        "test_transforms",
        variant(
            TRANSFORMS,
            (
                "        T.RandomHorizontalFlip(),\n",
                "        T.RandomHorizontalFlip(),\n"
                "        T.Lambda(lambda x: x.mul_(0.9 + 0.2 * torch.rand(1)).clamp_(0, 1)),\n",
            ),
        ),
        "brightness jitter in place: every call changes the caller's image",
    ),
    Mistake(
        "transforms",
        "test_transforms",
        variant(
            TRANSFORMS,
            ("T.RandomHorizontalFlip(),", "T.RandomHorizontalFlip(p=1.0),"),
            ("RandomQuarterTurn(),\n", ""),
            ("T.RandomApply([T.ColorJitter(brightness=0.2, contrast=0.2)], p=0.3),\n", ""),
        ),
        "p=1.0 flips every image the same way: nothing random",
    ),
    Mistake(
        "transforms",
        "test_transforms",
        variant(
            TRANSFORMS,
            (
                "RandomQuarterTurn(),",
                "RandomQuarterTurn(),\n        T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),",
            ),
        ),
        "normalises the training images only",
    ),
    Mistake(
        "transforms",
        "test_transforms",
        variant(
            TRANSFORMS,
            (
                "T.RandomHorizontalFlip(),",
                "T.RandomResizedCrop(48),\n        T.RandomHorizontalFlip(),",
            ),
        ),
        "random crops that change the image size",
    ),
    Mistake(
        "transforms",
        "test_transforms",
        variant(
            TRANSFORMS,
            (
                "eval_transform = T.Identity()",
                "eval_transform = T.ToDtype(torch.uint8, scale=True)",
            ),
        ),
        "converts test images to uint8",
    ),
    Mistake(
        "transforms",
        "test_transforms",
        variant(
            TRANSFORMS,
            (
                "eval_transform = T.Identity()",
                "eval_transform = T.Resize((64, 64), antialias=True)",
            ),
        ),
        "resizes test images to 64x64 (a no-op on the default roofs, wrong on other sizes)",
    ),
    # --- build_roof_cnn ------------------------------------------------------------------------
    Mistake(
        "build_roof_cnn",
        "test_build_roof_cnn",
        variant(CNN, ("nn.Linear(8 * w, num_classes)", "nn.Linear(8 * w, 3)")),
        "head hard-codes 3 classes",
    ),
    Mistake(
        "build_roof_cnn",
        "test_build_roof_cnn",
        variant(CNN, ("*conv_bn_relu(3, w, stride=2),", "*conv_bn_relu(1, w, stride=2),")),
        "first convolution expects grayscale",
    ),
    Mistake(
        "build_roof_cnn",
        "test_build_roof_cnn",
        variant(
            CNN,
            (
                "nn.AdaptiveAvgPool2d(1),\n        nn.Flatten(),\n        nn.Linear(8 * w, num_classes),",
                "nn.Flatten(),\n        nn.Linear(8 * w * 16, num_classes),",
            ),
            ("*conv_bn_relu(3, w, stride=2),", "*conv_bn_relu(3, w),"),
        ),
        "flattened size computed for a stride the network does not have",
    ),
    Mistake(
        "build_roof_cnn",
        "test_build_roof_cnn",
        "def build_roof_cnn(num_classes=3):\n"
        "    return nn.Sequential(\n"
        "        nn.Flatten(), nn.Linear(3 * 64 * 64, 256), nn.ReLU(), nn.Linear(256, num_classes)\n"
        "    )\n",
        "an MLP is not a CNN",
    ),
    # --- build_roof_transformer --------------------------------------------------------------
    Mistake(
        "build_roof_transformer",
        "test_build_roof_transformer",
        variant(TRANSFORMER, ("    return RoofViT(num_classes)\n", "    return RoofViT(3)\n")),
        "ignores num_classes",
    ),
    Mistake(
        "build_roof_transformer",
        "test_build_roof_transformer",
        variant(
            TRANSFORMER,
            ("            batch_first=True, norm_first=True,", "            norm_first=True,"),
        ),
        "without batch_first, attention runs across the batch and the class token never sees the patches",
    ),
    Mistake(
        "build_roof_transformer",
        "test_build_roof_transformer",
        variant(
            TRANSFORMER,
            (
                "self.head(self.norm(self.blocks(tokens))[:, 0])",
                "self.head(self.norm(self.blocks(tokens)))",
            ),
        ),
        "returns a prediction per token instead of the class token's",
    ),
    Mistake(
        "build_roof_transformer",
        "test_build_roof_transformer",
        "def build_roof_transformer(num_classes=3):\n    return build_roof_cnn(num_classes)\n",
        "a CNN is not a transformer",
    ),
    Mistake(
        "build_roof_transformer",
        "test_build_roof_transformer",
        variant(
            TRANSFORMER,
            (
                "tokens = torch.cat([cls, tokens], dim=1) + self.pos_embed",
                "tokens = torch.cat([cls, tokens], dim=1)",
            ),
        ),
        "no position information: the tokens are a bag of patches",
    ),
]
