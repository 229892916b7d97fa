"""Notebooks 02 and 03: where a convolution's windows fall, and feature maps as images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from course_utils.plotting._common import _new_figure, _scale_limits, _to_numpy

__all__ = ["plot_conv_windows", "plot_feature_maps", "show_feature_maps"]

_WINDOW_COLORS = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown")


def _draw_grid(ax: Any, values: np.ndarray, shaded: np.ndarray | None, numbers: bool) -> None:
    """Draws a small 2-D array as a table of cells; ``shaded`` cells (e.g. padding) are grey."""
    h, w = values.shape
    background = np.where(shaded, 0.85, 1.0) if shaded is not None else np.ones((h, w))
    ax.imshow(background, cmap="gray", vmin=0, vmax=1)
    ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
    ax.grid(which="minor", color="0.6", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if numbers:
        for i in range(h):
            for j in range(w):
                ax.text(j, i, f"{values[i, j]:g}", ha="center", va="center", fontsize=7)


def plot_conv_windows(
    image: Any,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: int = 0,
    positions: Sequence[tuple[int, int]] = ((0, 0), (0, 1)),
    output: Any = None,
) -> Figure:
    """Where a sliding kernel looks: its windows on the padded input and the outputs they make.

    The left panel shows the input after zero padding (padding cells in grey) with the window of
    each output position in ``positions`` outlined in its own colour; the right panel shows the
    output grid, its size given by ``floor((n + 2 * padding - kernel_size) / stride) + 1``, with
    the same positions filled in the same colours.

    Args:
        image: (H, W) input, NumPy or torch. Values are written in the cells when it is small.
        kernel_size: side of the square kernel.
        stride: step between neighbouring windows.
        padding: zeros added on every side of the input.
        positions: output positions (row, column) whose windows are drawn, at most six.
        output: optional (H_out, W_out) values to write in the output cells.

    Returns:
        A Figure with two axes: the padded input and the output grid.

    Raises:
        ValueError: the image is not 2-D, the kernel does not fit, or a position lies outside
            the output.
    """
    x = _to_numpy(image).astype(np.float64)
    if x.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {x.shape}.")
    if kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError("kernel_size and stride must be at least 1, padding at least 0.")
    padded = np.pad(x, padding)
    out_h = (padded.shape[0] - kernel_size) // stride + 1
    out_w = (padded.shape[1] - kernel_size) // stride + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"a {kernel_size}x{kernel_size} kernel does not fit a {padded.shape} padded input."
        )
    if len(positions) > len(_WINDOW_COLORS):
        raise ValueError(f"at most {len(_WINDOW_COLORS)} positions can be drawn.")
    for row, col in positions:
        if not (0 <= row < out_h and 0 <= col < out_w):
            raise ValueError(f"position {(row, col)} is outside the {out_h}x{out_w} output.")
    values = np.zeros((out_h, out_w)) if output is None else _to_numpy(output).astype(np.float64)
    if values.shape != (out_h, out_w):
        raise ValueError(f"output has shape {values.shape}, expected {(out_h, out_w)}.")

    from matplotlib.patches import Rectangle

    is_padding = np.ones(padded.shape, dtype=bool)
    is_padding[padding : padding + x.shape[0], padding : padding + x.shape[1]] = False
    scale = 0.32
    fig = _new_figure(
        (scale * (padded.shape[1] + out_w) + 1.2, scale * max(padded.shape[0], out_h) + 0.9)
    )
    ax_in, ax_out = fig.subplots(
        1, 2, gridspec_kw={"width_ratios": [padded.shape[1], max(out_w, 1)]}
    )
    _draw_grid(ax_in, padded, is_padding, numbers=padded.size <= 400)
    _draw_grid(ax_out, values, None, numbers=output is not None and values.size <= 400)
    for (row, col), color in zip(positions, _WINDOW_COLORS, strict=False):
        top, left = row * stride - 0.5, col * stride - 0.5
        ax_in.add_patch(
            Rectangle((left, top), kernel_size, kernel_size, fill=False, edgecolor=color, lw=2.5)
        )
        ax_out.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, color=color, alpha=0.45))
    ax_in.set_title(
        f"input {x.shape[0]}x{x.shape[1]}, padding {padding}, kernel {kernel_size}x{kernel_size},"
        f" stride {stride}",
        fontsize=9,
    )
    ax_out.set_title(f"output {out_h}x{out_w}", fontsize=9)
    fig.tight_layout()
    return fig


def show_feature_maps(feature_maps: Any, max_channels: int = 8, cmap: str = "viridis") -> Figure:
    """Feature maps (activations) as images: one row per layer, one column per channel.

    Args:
        feature_maps: one layer's maps, (C, H, W) or (1, C, H, W), or a mapping from layer names
            to such maps (in the order to show them), NumPy or torch. (H, W) counts as one
            channel and (C,) vectors (e.g. after a linear layer) as C maps of size 1x1.
        max_channels: show at most this many channels per layer (the first ones).
        cmap: colour map; each map gets its own colour scale.

    Returns:
        A Figure whose rows are labelled with the layer name and the full map shape.
    """
    items = feature_maps.items() if isinstance(feature_maps, Mapping) else [("", feature_maps)]
    rows = []
    for name, maps in items:
        m = _to_numpy(maps).astype(np.float64)
        shape = m.shape
        if m.ndim == 4 and m.shape[0] == 1:
            m = m[0]
        if m.ndim == 2:
            m = m[None]
        elif m.ndim == 1:
            m = m[:, None, None]
        if m.ndim != 3:
            raise ValueError(f"{name or 'feature_maps'}: expected (C, H, W), got shape {shape}.")
        rows.append((str(name), tuple(m.shape), m[:max_channels]))
    if not rows:
        raise ValueError("show_feature_maps got no feature maps.")
    ncols = max(len(m) for _, _, m in rows)
    fig = _new_figure((1.2 * ncols + 1.2, 1.25 * len(rows) + 0.2))
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    for r, (name, shape, maps) in enumerate(rows):
        for c in range(ncols):
            ax = axes[r, c]
            if c >= len(maps):
                ax.remove()
                continue
            ax.imshow(maps[c], cmap=cmap)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                label = f"{name}\n" if name else ""
                ax.set_ylabel(f"{label}{'x'.join(map(str, shape))}", fontsize=8)
    fig.tight_layout()
    return fig


def plot_feature_maps(
    maps: Any,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    cmap: str = "viridis",
    scale: str = "row",
    vmin: float | None = None,
    vmax: float | None = None,
    panel_size: float = 1.25,
) -> Figure:
    """Feature or attention maps of one sample as a grid: a row per kind of map, a column per channel.

    Rows typically hold the same channels seen at different points of a layer, e.g. a trunk's
    features, the attention mask and the masked features, so that a column follows one channel.

    Args:
        maps: (C, H, W) for a single row or (R, C, H, W) for R rows; NumPy or torch.
        row_labels: R names, written left of the rows.
        col_labels: C names, written above the top row (e.g. ``"ch 3"``).
        cmap: colour map for every panel.
        scale: ``"row"`` shares one colour scale per row and draws its colour bar (maps of one
            kind stay comparable); ``"panel"`` stretches every map to its own range (shapes
            become visible even in weak channels; no colour bars).
        vmin, vmax: fixed colour limits for every panel (e.g. 0 and 1 for masks); they override
            the limits that ``scale`` would choose.
        panel_size: width and height of one panel, in inches.

    Returns:
        A Figure with R x C image axes (plus one colour-bar axes per row when ``scale="row"``).

    Raises:
        ValueError: ``maps`` is not 3-D or 4-D, the label counts do not match, or ``scale`` is
            unknown.
    """
    x = _to_numpy(maps).astype(np.float32, copy=False)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or 0 in x.shape:
        raise ValueError(
            f"maps of shape {tuple(_to_numpy(maps).shape)}: expected (C, H, W) or (R, C, H, W)."
        )
    if scale not in ("row", "panel"):
        raise ValueError(f"scale must be 'row' or 'panel', got {scale!r}.")
    nrows, ncols = x.shape[:2]
    if row_labels is not None and len(row_labels) != nrows:
        raise ValueError(f"{len(row_labels)} row labels for {nrows} rows.")
    if col_labels is not None and len(col_labels) != ncols:
        raise ValueError(f"{len(col_labels)} column labels for {ncols} columns.")
    fig = _new_figure((panel_size * ncols + 0.9, panel_size * nrows + 0.3))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for r in range(nrows):
        limits = _scale_limits(x[r], vmin, vmax)
        for c in range(ncols):
            ax = axes[r, c]
            if scale == "panel":
                limits = _scale_limits(x[r, c], vmin, vmax)
            image = ax.imshow(x[r, c], cmap=cmap, vmin=limits[0], vmax=limits[1])
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and col_labels is not None:
                ax.set_title(str(col_labels[c]), fontsize=9)
            if c == 0 and row_labels is not None:
                ax.set_ylabel(str(row_labels[r]), fontsize=9)
        if scale == "row":
            fig.colorbar(image, ax=list(axes[r]), fraction=0.02, pad=0.01)
    return fig
