"""Grids of images (with labels and predictions) and of small filters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from course_utils.plotting._common import (
    _CORRECT_COLOR,
    _WRONG_COLOR,
    _as_image_batch,
    _label,
    _new_figure,
    _to_numpy,
)

__all__ = ["show_filters", "show_images"]


def show_images(
    images: Any,
    labels: Any = None,
    predictions: Any = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str = "gray",
) -> Figure:
    """A grid of images, titled with their labels and, if given, the predictions.

    With both ``labels`` and ``predictions`` each title reads "prediction (label)": green when
    they agree, red when the prediction is wrong.

    Args:
        images: (N, 1, H, W), (N, 3, H, W), (N, H, W), (N, H, W, 3) or flat (N, H*W); NumPy
            or torch. RGB values outside [0, 1] (e.g. normalised inputs) are rescaled per image.
        labels: (N,) true classes, optional.
        predictions: (N,) predicted classes, or (N, K) scores whose argmax is taken; optional.
        class_names: names indexed by class, used instead of the numbers.
        ncols: images per row.
        cmap: colour map for single-channel images.

    Returns:
        A Figure with one axes per image.
    """
    x = _as_image_batch(images)
    n = len(x)
    if n == 0:
        raise ValueError("show_images got no images.")
    y_true = None if labels is None else _to_numpy(labels).reshape(-1)
    y_pred = None if predictions is None else _to_numpy(predictions)
    if y_pred is not None and y_pred.ndim == 2:
        y_pred = y_pred.argmax(axis=1)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    titled = labels is not None or predictions is not None
    fig = _new_figure((1.4 * ncols, (1.4 + 0.3 * titled) * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).reshape(-1)
    for i, ax in enumerate(axes):
        if i >= n:
            ax.remove()  # leave no empty frames in the last row
            continue
        image = x[i]
        if image.ndim == 3 and (image.min() < 0 or image.max() > 1):
            image = (image - image.min()) / max(float(image.max() - image.min()), 1e-12)
        ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
        ax.set_axis_off()
        if y_pred is not None:
            title = _label(y_pred[i], class_names)
            color = "black"
            if y_true is not None:
                title += f" ({_label(y_true[i], class_names)})"
                color = _CORRECT_COLOR if int(y_pred[i]) == int(y_true[i]) else _WRONG_COLOR
            ax.set_title(title, color=color, fontsize=9)
        elif y_true is not None:
            ax.set_title(_label(y_true[i], class_names), fontsize=9)
    if y_pred is not None and y_true is not None:
        fig.suptitle("prediction (true label); red: wrong", fontsize=10)
    fig.tight_layout()
    return fig


def show_filters(
    filters: Any,
    ncols: int = 8,
    titles: Sequence[str] | None = None,
    cmap: str = "RdBu_r",
    title: str | None = None,
) -> Figure:
    """A grid of small filters (convolution kernels, patch-embedding filters, components).

    Single-channel filters are drawn with a diverging colour map centred on 0 (each on its own
    symmetric scale, which the colour bar beside them explains), so positive and negative
    weights are told apart; 3-channel filters are rescaled to [0, 1] and drawn as RGB.

    Args:
        filters: (F, h, w), (F, 1, h, w) or (F, 3, h, w); NumPy or torch.
        ncols: filters per row.
        titles: F short titles, optional.
        title: a title above the whole grid, optional.
        cmap: colour map for single-channel filters.

    Returns:
        A Figure with one axes per filter (and, for single-channel filters, a colour bar).
    """
    f = _to_numpy(filters).astype(np.float64, copy=False)
    if f.ndim == 4 and f.shape[1] == 1:
        f = f[:, 0]
    elif f.ndim == 4 and f.shape[1] == 3:
        f = f.transpose(0, 2, 3, 1)
    if f.ndim not in (3, 4) or (f.ndim == 4 and f.shape[-1] != 3):
        raise ValueError(
            f"filters of shape {_to_numpy(filters).shape}: expected (F, h, w), (F, 1, h, w) "
            "or (F, 3, h, w)."
        )
    n = len(f)
    if n == 0:
        raise ValueError("show_filters got no filters.")
    if titles is not None and len(titles) != n:
        raise ValueError(f"{n} filters but {len(titles)} titles.")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = _new_figure((1.1 * ncols, (1.1 + 0.25 * (titles is not None)) * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).reshape(-1)
    for i, ax in enumerate(axes):
        if i >= n:
            ax.remove()
            continue
        if f.ndim == 3:
            scale = max(float(np.abs(f[i]).max()), 1e-12)
            ax.imshow(f[i], cmap=cmap, vmin=-scale, vmax=scale)
        else:
            low, high = float(f[i].min()), float(f[i].max())
            ax.imshow((f[i] - low) / max(high - low, 1e-12))
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    fig.tight_layout()
    if f.ndim == 3:
        bar = fig.colorbar(
            ScalarMappable(Normalize(-1, 1), cmap), ax=axes[:n].tolist(), ticks=[-1, 0, 1]
        )
        bar.ax.set_yticklabels(["\u2212max", "0", "+max"])
        bar.set_label("weight, on each filter's own scale", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
