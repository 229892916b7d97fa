"""Roof image sets in memory: the Dataset, and the one-call loader of synthetic or real splits.

Synthetic splits come from :mod:`.synthetic` (reproducible per image), real ones from a folder
read by :mod:`.folder`; this module sits above both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .folder import load_roof_folder
from .scene import ROOF_CLASSES, RenderConfig
from .synthetic import SPLITS, Arrays, _check_classes, generate_roofs

__all__ = ["RoofDataset", "load_roofs", "to_chw_float"]


def to_chw_float(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 images -> (N, 3, H, W) float32 in [0, 1], the layout models expect."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)


class RoofDataset(Dataset):
    """Roof images held in memory as uint8, converted to tensors one item at a time.

    ``dataset[i]`` is ``(x, y)``: ``x`` a float32 tensor (3, H, W) in [0, 1], passed through
    ``transform`` when given (so torchvision tensor transforms such as ``RandomHorizontalFlip``,
    ``RandomRotation`` or ``Normalize`` apply directly; no ``ToTensor`` needed), and ``y`` the int
    label, passed through ``target_transform`` when given. Attributes follow torchvision's
    ImageFolder: ``classes``, ``class_to_idx``, ``targets``.

    Args:
        images: (N, H, W, 3) uint8 RGB images.
        labels: (N,) int labels, indices into ``classes``.
        classes: class names.
        transform: applied to each image tensor.
        target_transform: applied to each label.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        *,
        classes: Sequence[str] = ROOF_CLASSES,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        target_transform: Callable[[int], object] | None = None,
    ) -> None:
        images = np.asarray(images)
        labels = np.asarray(labels, dtype=np.int64)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(
                f"images must be (N, H, W, 3) uint8, got {images.shape} {images.dtype}"
            )
        if labels.shape != (len(images),):
            raise ValueError(f"labels must have shape ({len(images)},), got {labels.shape}")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
            raise ValueError(
                f"labels must lie in [0, {len(classes)}), got {labels.min()}..{labels.max()}"
            )
        self.images = images
        self.labels = labels
        self.classes = list(classes)
        self.class_to_idx = {c: k for k, c in enumerate(self.classes)}
        self.transform = transform
        self.target_transform = target_transform

    def with_transform(
        self, transform: Callable[[torch.Tensor], torch.Tensor] | None
    ) -> RoofDataset:
        """The same images (shared, not copied) under another transform."""
        return RoofDataset(
            self.images,
            self.labels,
            classes=self.classes,
            transform=transform,
            target_transform=self.target_transform,
        )

    @property
    def targets(self) -> list[int]:
        """Labels as a list of ints, like ``ImageFolder.targets``."""
        return self.labels.tolist()

    def arrays(self) -> Arrays:
        """All images as (N, 3, H, W) float32 in [0, 1] and labels (N,) int64, untransformed."""
        return to_chw_float(self.images), self.labels.copy()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, object]:
        x = torch.from_numpy(self.images[index]).permute(2, 0, 1).float().div_(255.0)
        if self.transform is not None:
            x = self.transform(x)
        y: object = int(self.labels[index])
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __repr__(self) -> str:
        n, h, w, _ = self.images.shape
        counts = np.bincount(self.labels, minlength=len(self.classes))
        per_class = ", ".join(f"{c}: {k}" for c, k in zip(self.classes, counts, strict=True))
        return f"RoofDataset({n} images {h}x{w}; {per_class}; transform={self.transform})"


def _stratified_take(y: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask picking about ``fraction`` of each class (at least one if it has two)."""
    mask = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        k = int(round(fraction * len(idx)))
        if fraction > 0 and len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        mask[rng.permutation(idx)[:k]] = True
    return mask


def _folder_splits(
    root: str | Path,
    size: int,
    classes: tuple[str, ...],
    seed: int,
    val_fraction: float,
    test_fraction: float,
) -> dict[str, Arrays]:
    """Real images as train/val/test, carving missing splits out of the training images."""
    found = load_roof_folder(root, size, classes=classes)
    rng = np.random.default_rng([seed, 7])
    train = found.get("all", found.get("train"))
    if train is None:  # only val and/or test folders: nothing to train on
        raise ValueError(f"{root} has no training images: found splits {sorted(found)}")
    if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction < 1):
        raise ValueError(
            f"need 0 <= val_fraction, test_fraction and a sum below 1, got {val_fraction}, {test_fraction}"
        )
    out = {k: v for k, v in found.items() if k in ("val", "test")}
    X, y = train
    remaining = 1.0  # share of the original training images still in (X, y)
    for name, fraction in (("test", test_fraction), ("val", val_fraction)):
        if name in out:
            continue
        take = _stratified_take(y, fraction / remaining, rng)
        out[name] = (X[take], y[take])
        X, y = X[~take], y[~take]
        remaining -= fraction
    out["train"] = (X, y)
    return out


def load_roofs(
    root: str | Path | None = None,
    *,
    size: int = 64,
    n_train: int = 4000,
    n_val: int = 500,
    n_test: int = 1000,
    seed: int = 0,
    classes: Sequence[str] = ROOF_CLASSES,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    as_dataset: bool = False,
    train_transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    eval_transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    config: RenderConfig | None = None,
) -> tuple[Arrays, Arrays, Arrays] | tuple[RoofDataset, RoofDataset, RoofDataset]:
    """Train, validation and test roof images: synthetic by default, or a real folder.

    Without ``root`` the three splits are rendered (``generate_roofs`` with ``split="train"``,
    ``"val"``, ``"test"``; about 10 s for the defaults on one core). With ``root`` the images
    are read from a BRAILS-style folder (see ``load_roof_folder``) and resized to ``size``;
    splits the folder lacks are carved out of its training images, stratified and seeded:
    ``test_fraction`` and ``val_fraction`` of them, in that order.

    Args:
        root: folder of real images, or None for synthetic ones.
        size: image side in pixels.
        n_train, n_val, n_test: synthetic split sizes (ignored with ``root``).
        seed: synthetic seed, or the seed of the stratified carving.
        classes: class names; label ``k`` means ``classes[k]``.
        val_fraction, test_fraction: shares carved out of a real folder's training images.
        as_dataset: return ``RoofDataset`` objects instead of arrays.
        train_transform: with ``as_dataset``, the training set's transform (augmentation).
        eval_transform: with ``as_dataset``, the validation and test sets' transform.
        config: synthetic difficulty knobs; ``RenderConfig()`` when None.

    Returns:
        ``((X_train, y_train), (X_val, y_val), (X_test, y_test))`` with X (N, 3, size, size)
        float32 in [0, 1] and y (N,) int64 (the layout of ``load_mnist``); or, with
        ``as_dataset=True``, ``(train, val, test)`` RoofDatasets.
    """
    classes = _check_classes(classes)
    if root is None:
        splits = {
            name: generate_roofs(n, seed, size, classes, split=name, config=config)
            for name, n in zip(SPLITS, (n_train, n_val, n_test), strict=True)
        }
    else:
        splits = _folder_splits(root, size, classes, seed, val_fraction, test_fraction)
    if as_dataset:
        transforms = {"train": train_transform, "val": eval_transform, "test": eval_transform}
        return tuple(
            RoofDataset(*splits[name], classes=classes, transform=transforms[name])
            for name in SPLITS
        )
    return tuple((to_chw_float(splits[name][0]), splits[name][1]) for name in SPLITS)
