"""Notebooks 03 and 04: attention maps laid over their images, and position-embedding similarity."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from course_utils.plotting._common import (
    _CORRECT_COLOR,
    _WRONG_COLOR,
    _as_image_batch,
    _as_map_batch,
    _label,
    _new_figure,
    _scale_limits,
    _to_numpy,
)

__all__ = ["plot_attention_maps", "plot_position_similarity", "show_attention_maps"]


def show_attention_maps(
    images: Any,
    maps: Any,
    labels: Any = None,
    *,
    alpha: float = 0.6,
    cmap: str = "inferno",
) -> Figure:
    """Images in the first row and, in the rows below, attention maps laid over them.

    Each map is stretched over its whole image (a 4 x 4 map over a 28 x 28 digit covers 7 x 7
    pixels per cell, one cell per patch) and scaled to its own maximum, so the colours show where
    an image's attention goes, not how peaked it is compared with other images.

    Args:
        images: N images in any layout ``show_images`` takes, e.g. (N, 1, H, W).
        maps: (N, h, w) non-negative maps, or a dict of them, one row per entry, titled with the
            entry's name (e.g. ``{"layer 1": m1, "rollout": m}``).
        labels: (N,) titles for the images (e.g. class labels), optional.
        alpha: opacity of the maps over the images.
        cmap: colour map of the attention maps.

    Returns:
        A Figure with (1 + number of map sets) rows and N columns.
    """
    x = _as_image_batch(images)
    rows = dict(maps) if isinstance(maps, Mapping) else {"attention": maps}
    rows = {name: _as_map_batch(m, f"maps[{name!r}]") for name, m in rows.items()}
    n = len(x)
    for name, m in rows.items():
        if len(m) != n:
            raise ValueError(f"{n} images but {len(m)} maps in {name!r}.")
    if n == 0:
        raise ValueError("show_attention_maps got no images.")
    height, width = x.shape[1:3]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)  # the map covers the image exactly
    fig = _new_figure((1.3 * n + 0.8, 1.35 * (1 + len(rows))))
    axes = fig.subplots(1 + len(rows), n, squeeze=False)
    titles = None if labels is None else _to_numpy(labels).reshape(-1)
    for i in range(n):
        image = x[i] if x.ndim == 3 else x[i].mean(axis=-1)
        axes[0, i].imshow(x[i], cmap="gray" if x.ndim == 3 else None)
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=9)
        for r, m in enumerate(rows.values(), start=1):
            axes[r, i].imshow(image, cmap="gray")
            top = max(float(m[i].max()), 1e-12)
            axes[r, i].imshow(
                m[i] / top,
                cmap=cmap,
                alpha=alpha,
                extent=extent,
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
    for ax in axes.reshape(-1):
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("input", fontsize=9)
    for r, name in enumerate(rows, start=1):
        axes[r, 0].set_ylabel(name, fontsize=9)
    fig.tight_layout()
    return fig


def plot_position_similarity(pos_embed: Any, grid_shape: tuple[int, int] | None = None) -> Figure:
    """Cosine similarity of each position embedding with all the others, laid out on the grid.

    Panel (r, c), titled with its patch, belongs to the patch in row r, column c; its pixels show
    how similar that patch's position embedding is to the embedding of every other patch, at
    their places. A model that has learned the 2-D layout shows a bright spot around each
    panel's own position (Dosovitskiy et al. 2021, figure 7).

    Args:
        pos_embed: (N, D) position embeddings of the N patches in row-major order, without the
            class token's; a leading batch axis of 1 is dropped.
        grid_shape: (rows, cols) with rows * cols = N; ``None`` means a square grid.

    Returns:
        A Figure with rows x cols small heat maps and one colour bar.
    """
    p = _to_numpy(pos_embed).astype(np.float64, copy=False)
    if p.ndim == 3 and p.shape[0] == 1:
        p = p[0]
    if p.ndim != 2:
        raise ValueError(f"pos_embed of shape {p.shape}: expected (N, D).")
    n = len(p)
    if grid_shape is None:
        side = math.isqrt(n)
        if side * side != n:
            raise ValueError(f"{n} positions are not a square grid; pass grid_shape=(rows, cols).")
        grid_shape = (side, side)
    rows, cols = grid_shape
    if rows * cols != n:
        raise ValueError(f"grid_shape {grid_shape} holds {rows * cols} positions, not {n}.")
    unit = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T  # (N, N), entries in [-1, 1]
    fig = _new_figure((0.9 * cols + 1.2, 0.9 * rows + 0.5))
    axes = fig.subplots(rows, cols, squeeze=False)
    image = None
    for i, ax in enumerate(axes.reshape(-1)):
        image = ax.imshow(similarity[i].reshape(rows, cols), cmap="viridis", vmin=-1, vmax=1)
        ax.set_title(f"patch ({i // cols}, {i % cols})", fontsize=6, pad=2)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        "cosine similarity of position embeddings: panel (row, column) compares that patch's "
        "with every patch's",
        fontsize=9,
    )
    fig.colorbar(image, ax=axes, shrink=0.8)
    return fig


def plot_attention_maps(
    images: Any,
    masks: Sequence[Any],
    labels: Any = None,
    predictions: Any = None,
    stage_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    normalize: bool = True,
    alpha: float = 0.6,
    cmap: str = "inferno",
) -> Figure:
    """Where a network looks: each image, then its attention mask at every stage laid over it.

    A stage's mask is averaged over its channels and stretched over the whole image (bilinear
    interpolation), so masks of any resolution line up with the input pixels.

    Args:
        images: (N, 1, H, W), (N, H, W) or flat (N, H*W) grey images; NumPy or torch.
        masks: one entry per stage, each (N, C, h, w) or (N, h, w), e.g. the ``last_mask`` of
            every attention module after a forward pass on ``images``.
        labels: (N,) true classes, optional.
        predictions: (N,) predicted classes or (N, K) scores; with ``labels``, the image's
            title reads "prediction (label)", red when wrong.
        stage_names: a column title per stage; defaults to "stage 1", "stage 2", ...
        class_names: names indexed by class, used instead of the numbers.
        normalize: stretch each mask to its own [min, max] before drawing it, which shows where
            a mask looks even when all its values are close together; False draws on [0, 1].
        alpha: opacity of the mask over the image.
        cmap: colour map of the masks.

    Returns:
        A Figure with N rows and 1 + len(masks) axes per row.

    Raises:
        ValueError: no stages, a mask of an unknown shape, or counts that disagree.
    """
    x = _as_image_batch(images)
    if x.ndim != 3:
        raise ValueError("plot_attention_maps shows grey images: (N, 1, H, W) or (N, H, W).")
    n, height, width = x.shape
    if len(masks) == 0:
        raise ValueError("plot_attention_maps needs at least one stage of masks.")
    stages, names = _stage_masks(masks, stage_names, n)
    y_true = None if labels is None else _to_numpy(labels).reshape(-1)
    y_pred = None if predictions is None else _to_numpy(predictions)
    if y_pred is not None and y_pred.ndim == 2:
        y_pred = y_pred.argmax(axis=1)

    ncols = 1 + len(stages)
    fig = _new_figure((1.6 * ncols, 1.7 * n + 0.2))
    axes = fig.subplots(n, ncols, squeeze=False)
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)  # a mask of any size covers every pixel
    for r in range(n):
        axes[r, 0].imshow(x[r], cmap="gray")
        if y_pred is not None or y_true is not None:
            title, color = _image_title(r, y_true, y_pred, class_names)
            axes[r, 0].set_title(title, color=color, fontsize=9)
        for s, m in enumerate(stages):
            ax = axes[r, s + 1]
            limits = _scale_limits(m[r], None, None) if normalize else (0.0, 1.0)
            ax.imshow(x[r], cmap="gray")
            ax.imshow(
                m[r],
                cmap=cmap,
                alpha=alpha,
                vmin=limits[0],
                vmax=limits[1],
                extent=extent,
                interpolation="bilinear",
            )
            if r == 0:
                ax.set_title(names[s], fontsize=9)
        for ax in axes[r]:
            ax.set_axis_off()
    fig.tight_layout()
    return fig


def _stage_masks(
    masks: Sequence[Any], stage_names: Sequence[str] | None, n: int
) -> tuple[list[np.ndarray], list[str]]:
    """Each stage's masks as (N, h, w), channel-averaged, and the stages' names."""
    stages = []
    for i, mask in enumerate(masks):
        m = _to_numpy(mask).astype(np.float32, copy=False)
        if m.ndim == 4:
            m = m.mean(axis=1)  # the channel average: where the stage looks, over all features
        if m.ndim != 3 or len(m) != n:
            raise ValueError(
                f"stage {i + 1}: masks of shape {tuple(_to_numpy(mask).shape)} for {n} images; "
                f"expected ({n}, C, h, w) or ({n}, h, w)."
            )
        stages.append(m)
    names = list(stage_names) if stage_names is not None else []
    if stage_names is None:
        names = [f"stage {i + 1}" for i in range(len(stages))]
    elif len(names) != len(stages):
        raise ValueError(f"{len(names)} stage names for {len(stages)} stages.")
    return stages, names


def _image_title(
    i: int, y_true: np.ndarray | None, y_pred: np.ndarray | None, class_names: Sequence[str] | None
) -> tuple[str, str]:
    """Image i's title: "prediction (label)", green when right and red when wrong, or one of them."""
    if y_pred is None:
        return _label(y_true[i], class_names), "black"
    title, color = _label(y_pred[i], class_names), "black"
    if y_true is not None:
        title += f" ({_label(y_true[i], class_names)})"
        color = _CORRECT_COLOR if int(y_pred[i]) == int(y_true[i]) else _WRONG_COLOR
    return title, color
