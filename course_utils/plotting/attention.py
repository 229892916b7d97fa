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
    _label,
    _new_figure,
    _scale_limits,
    _to_numpy,
)

__all__ = ["plot_attention_maps", "plot_position_similarity"]


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
    masks: Any,
    labels: Any = None,
    predictions: Any = None,
    stage_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    normalize: bool = True,
    interpolation: str = "bilinear",
    alpha: float = 0.6,
    cmap: str = "inferno",
) -> Figure:
    """Where a network looks: each image, then its attention maps laid over it, one per column.

    A column is one set of maps: a stage of an attention network (notebook 03), or one way of
    reading a transformer's attention such as the last block's or the rollout (notebook 04). A
    map is averaged over its channels and stretched over the whole image, so maps of any
    resolution line up with the input pixels (a 4 x 4 map over a 28 x 28 digit covers 7 x 7
    pixels per cell).

    Args:
        images: (N, 1, H, W), (N, H, W) or flat (N, H*W) grey images; NumPy or torch.
        masks: the maps, each set (N, C, h, w) or (N, h, w): one array, a sequence of them (one
            column per stage, e.g. the ``last_mask`` of every attention module), or a dict from
            column titles to them (e.g. ``{"last block": a, "rollout": r}``).
        labels: (N,) true classes, optional.
        predictions: (N,) predicted classes or (N, K) scores; with ``labels``, the image's
            title reads "prediction (label)", red when wrong.
        stage_names: a column title per set when ``masks`` is not a dict; defaults to
            "stage 1", "stage 2", ...
        class_names: names indexed by class, used instead of the numbers.
        normalize: stretch each map to its own [min, max] before drawing it, which shows where
            a map looks even when all its values are close together; False draws on [0, 1].
        interpolation: how a map is stretched: ``"bilinear"`` smooths it, ``"nearest"`` keeps
            one flat cell per map entry (e.g. per patch of a vision transformer).
        alpha: opacity of the maps over the image.
        cmap: colour map of the maps.

    Returns:
        A Figure with N rows and 1 + (number of map sets) axes per row.

    Raises:
        ValueError: no map sets, a map of an unknown shape, or counts that disagree.
    """
    x = _as_image_batch(images)
    if x.ndim != 3:
        raise ValueError("plot_attention_maps shows grey images: (N, 1, H, W) or (N, H, W).")
    n, height, width = x.shape
    if isinstance(masks, Mapping):
        if stage_names is not None:
            raise ValueError("masks is a dict, whose keys are the titles: leave out stage_names.")
        stage_names, masks = [str(k) for k in masks], list(masks.values())
    elif not isinstance(masks, (list, tuple)):
        masks = [masks]
    if len(masks) == 0:
        raise ValueError("plot_attention_maps needs at least one set of maps.")
    stages, names = _stage_masks(masks, stage_names, n)
    y_true = None if labels is None else _to_numpy(labels).reshape(-1)
    y_pred = None if predictions is None else _to_numpy(predictions)
    if y_pred is not None and y_pred.ndim == 2:
        y_pred = y_pred.argmax(axis=1)

    ncols = 1 + len(stages)
    fig = _new_figure((1.6 * ncols, 1.7 * n + 0.2))
    axes = fig.subplots(n, ncols, squeeze=False)
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)  # a map of any size covers every pixel
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
                interpolation=interpolation,
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
