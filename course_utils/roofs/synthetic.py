"""Reproducible synthetic roof batches: image ``i`` of a split has a random stream of its own.

Reproducibility contract: image ``i`` of a synthetic set is drawn from its own random stream,
``np.random.default_rng([seed, split_id, i])``, so it depends only on ``(seed, split, i)``:
``generate_roofs(100, 0, start=100)`` equals ``generate_roofs(200, 0)[100:]``, chunks can be
generated in parallel, and the train, val and test splits of one seed never share an image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .render import render_scene
from .scene import ROOF_CLASSES, RenderConfig, sample_scene

__all__ = ["SPLITS", "generate_roofs"]

#: Split names; a split's position is its stream id in the random streams.
SPLITS: tuple[str, str, str] = ("train", "val", "test")

#: Images and labels: X (N, H, W, 3) uint8, y (N,) int64.
Arrays = tuple[np.ndarray, np.ndarray]


def _check_classes(classes: Sequence[str]) -> tuple[str, ...]:
    classes = tuple(classes)
    unknown = [c for c in classes if c not in ROOF_CLASSES]
    if unknown or not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct names from {ROOF_CLASSES}, got {classes}")
    return classes


def generate_roofs(
    n: int,
    seed: int,
    size: int = 64,
    classes: Sequence[str] = ROOF_CLASSES,
    balanced: bool = True,
    *,
    split: str = "train",
    start: int = 0,
    config: RenderConfig | None = None,
) -> Arrays:
    """Renders ``n`` synthetic aerial roof images with their labels.

    Args:
        n: number of images.
        seed: non-negative seed; with ``split`` and the index it fixes every image.
        size: image side in pixels.
        classes: roof types to draw; label ``k`` means ``classes[k]``.
        balanced: True cycles through the classes (image ``i`` has label ``i % len(classes)``),
            so any prefix is balanced to within one image; False draws each label at random.
        split: ``"train"``, ``"val"`` or ``"test"``: independent streams for the same seed.
        start: index of the first image, to generate a long set in chunks.
        config: difficulty knobs; ``RenderConfig()`` when None.

    Returns:
        ``(X, y)``: X (n, size, size, 3) uint8 RGB, y (n,) int64.
    """
    classes = _check_classes(classes)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if n < 0 or seed < 0 or start < 0:
        raise ValueError(f"n, seed and start must be non-negative, got {n}, {seed}, {start}")
    stream = SPLITS.index(split)
    X = np.empty((n, size, size, 3), dtype=np.uint8)
    y = np.empty(n, dtype=np.int64)
    for j in range(n):
        i = start + j
        rng = np.random.default_rng([seed, stream, i])
        label = i % len(classes) if balanced else int(rng.integers(len(classes)))
        X[j] = render_scene(sample_scene(classes[label], rng, config), size, rng)
        y[j] = label
    return X, y
