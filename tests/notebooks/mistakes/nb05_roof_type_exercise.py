"""Plausible student mistakes in notebook 05 (roof-type capstone); each must lose its test cell's points.

The trained models' accuracy is graded on held-out roofs; the mistakes here are in the pieces
whose tests run before training: the transforms and the two architectures. Each is built with
``mistake``: the solution notebook's own answer with the misconception edited in, so no copy of
an answer can drift from the reference.
"""

from __future__ import annotations

from tests.notebooks.mistakes import answer, mistake

ASSIGNMENT = "05_roof_type_exercise"

# The training transform's three steps, as the reference writes them (edit targets below).
FLIP = "        T.RandomHorizontalFlip(),\n"
TURN = "        RandomQuarterTurn(),  # with the flip: all 8 symmetries of the square\n"
JITTER = "        T.RandomApply([T.ColorJitter(brightness=0.2, contrast=0.2)], p=0.3),\n"
JITTER_COMMENT = "        # Mild colour changes on some images; ColorJitter is the slowest step, so not on all.\n"
EVAL = "eval_transform = T.Identity()"

# Everything build_roof_cnn's reference does after its docstring: the misconception that
# replaces the whole network replaces all of it.
CNN_BODY = answer(ASSIGNMENT, "build_roof_cnn").partition('    """\n')[2]

MISTAKES = [
    # --- train_transform and eval_transform -------------------------------------------------
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "augments the test images too",
        (EVAL, "eval_transform = train_transform"),
    ),
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "no augmentation at all",
        (
            "T.Compose(\n    [\n" + FLIP + TURN + JITTER_COMMENT + JITTER + "    ]\n)",
            "T.Identity()",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "brightness jitter in place: every call changes the caller's image",
        (
            FLIP,
            FLIP + "        T.Lambda(lambda x: x.mul_(0.9 + 0.2 * torch.rand(1)).clamp_(0, 1)),\n",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "p=1.0 flips every image the same way: nothing random",
        ("T.RandomHorizontalFlip(),", "T.RandomHorizontalFlip(p=1.0),"),
        (TURN, ""),
        (JITTER_COMMENT + JITTER, ""),
    ),
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "normalises the training images only",
        (JITTER, JITTER + "        T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),\n"),
    ),
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "random crops that change the image size",
        (FLIP, "        T.RandomResizedCrop(48),\n" + FLIP),
    ),
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "converts test images to uint8",
        (EVAL, "eval_transform = T.ToDtype(torch.uint8, scale=True)"),
    ),
    mistake(
        ASSIGNMENT,
        "transforms",
        "test_transforms",
        "resizes test images to 64x64 (a no-op on the default roofs, wrong on other sizes)",
        (EVAL, "eval_transform = T.Resize((64, 64), antialias=True)"),
    ),
    # --- build_roof_cnn ------------------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "build_roof_cnn",
        "test_build_roof_cnn",
        "head hard-codes 3 classes",
        ("nn.Linear(8 * w, num_classes)", "nn.Linear(8 * w, 3)"),
    ),
    mistake(
        ASSIGNMENT,
        "build_roof_cnn",
        "test_build_roof_cnn",
        "first convolution expects grayscale",
        ("*conv_bn_relu(3, w, stride=2),", "*conv_bn_relu(1, w, stride=2),"),
    ),
    mistake(
        ASSIGNMENT,
        "build_roof_cnn",
        "test_build_roof_cnn",
        "flattened size computed for a stride the network does not have",
        ("*conv_bn_relu(3, w, stride=2),", "*conv_bn_relu(3, w),"),
        (
            "        nn.AdaptiveAvgPool2d(1),  # (8w, 1, 1): where the roof lies no longer matters\n",
            "",
        ),
        ("nn.Linear(8 * w, num_classes)", "nn.Linear(8 * w * 16, num_classes)"),
    ),
    mistake(
        ASSIGNMENT,
        "build_roof_cnn",
        "test_build_roof_cnn",
        "an MLP is not a CNN",
        (
            CNN_BODY,
            "    return nn.Sequential(\n"
            "        nn.Flatten(), nn.Linear(3 * 64 * 64, 256), nn.ReLU(), nn.Linear(256, num_classes)\n"
            "    )\n",
        ),
    ),
    # --- build_roof_transformer --------------------------------------------------------------
    mistake(
        ASSIGNMENT,
        "build_roof_transformer",
        "test_build_roof_transformer",
        "ignores num_classes",
        ("    return RoofViT(num_classes)\n", "    return RoofViT(3)\n"),
    ),
    mistake(
        ASSIGNMENT,
        "build_roof_transformer",
        "test_build_roof_transformer",
        "without batch_first, attention runs across the batch and the class token never sees the patches",
        ("            batch_first=True,\n", ""),
    ),
    mistake(
        ASSIGNMENT,
        "build_roof_transformer",
        "test_build_roof_transformer",
        "returns a prediction per token instead of the class token's",
        (
            "self.head(self.norm(self.blocks(tokens))[:, 0])",
            "self.head(self.norm(self.blocks(tokens)))",
        ),
    ),
    mistake(
        ASSIGNMENT,
        "build_roof_transformer",
        "test_build_roof_transformer",
        "a CNN is not a transformer",
        ("    return RoofViT(num_classes)\n", "    return build_roof_cnn(num_classes)\n"),
    ),
    mistake(
        ASSIGNMENT,
        "build_roof_transformer",
        "test_build_roof_transformer",
        "no position information: the tokens are a bag of patches",
        (
            "tokens = torch.cat([cls, tokens], dim=1) + self.pos_embed",
            "tokens = torch.cat([cls, tokens], dim=1)",
        ),
    ),
]
