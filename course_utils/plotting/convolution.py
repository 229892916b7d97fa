"""Notebooks 02 and 03: where a convolution's windows fall, and feature maps as images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from course_utils.plotting._common import _new_figure, _scale_limits, _to_numpy

__all__ = ["plot_conv_windows", "plot_feature_maps"]

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


def plot_feature_maps(
    maps: Any,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    max_channels: int | None = None,
    cmap: str = "viridis",
    scale: str = "row",
    vmin: float | None = None,
    vmax: float | None = None,
    panel_size: float = 1.25,
) -> Figure:
    """Feature maps as a grid of images: a row per layer or kind of map, a column per channel.

    Rows are either one array's, e.g. the same channels at different points of a layer (a
    trunk's features, the attention mask, the masked features) so that a column follows one
    channel, or a dict's, one row per layer of a network, each of its own size and channel count.

    Args:
        maps: (C, H, W) for a single row or (R, C, H, W) for R rows, NumPy or torch; or a dict
            from layer names to one layer's maps, (C, H, W) or (1, C, H, W), in the order to
            show them (rows are then labelled with the name and the map shape; (H, W) counts as
            one channel and (C,), e.g. after a linear layer, as C maps of size 1 x 1).
        row_labels: R names, written left of the rows (not with a dict, whose keys name them).
        col_labels: one name per column, written above the top row (e.g. ``"ch 3"``).
        max_channels: show at most this many channels per row (the first ones); None: all.
        cmap: colour map for every panel.
        scale: ``"row"`` shares one colour scale per row and draws its colour bar (maps of one
            kind stay comparable); ``"panel"`` stretches every map to its own range (shapes
            become visible even in weak channels; no colour bars).
        vmin, vmax: fixed colour limits for every panel (e.g. 0 and 1 for masks); they override
            the limits that ``scale`` would choose.
        panel_size: width and height of one panel, in inches.

    Returns:
        A Figure with a panel per shown channel of every row (plus one colour-bar axes per row
        when ``scale="row"``).

    Raises:
        ValueError: maps of an unknown shape, label counts that do not match, or an unknown
            ``scale``.
    """
    if scale not in ("row", "panel"):
        raise ValueError(f"scale must be 'row' or 'panel', got {scale!r}.")
    rows = _feature_rows(maps, row_labels)
    if max_channels is not None:
        rows = [(label, m[:max_channels]) for label, m in rows]
    ncols = max(len(m) for _, m in rows)
    if col_labels is not None and len(col_labels) != ncols:
        raise ValueError(f"{len(col_labels)} column labels for {ncols} columns.")
    fig = _new_figure((panel_size * ncols + 0.9, panel_size * len(rows) + 0.3))
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    for r, (label, m) in enumerate(rows):
        limits = _scale_limits(m, vmin, vmax)
        for c in range(ncols):
            ax = axes[r, c]
            if c >= len(m):  # a row with fewer channels than the widest
                ax.remove()
                continue
            if scale == "panel":
                limits = _scale_limits(m[c], vmin, vmax)
            image = ax.imshow(m[c], cmap=cmap, vmin=limits[0], vmax=limits[1])
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and col_labels is not None:
                ax.set_title(str(col_labels[c]), fontsize=9)
            if c == 0 and label:
                ax.set_ylabel(label, fontsize=9)
        if scale == "row":
            fig.colorbar(image, ax=list(axes[r, : len(m)]), fraction=0.02, pad=0.01)
    return fig


def _feature_rows(maps: Any, row_labels: Sequence[str] | None) -> list[tuple[str, np.ndarray]]:
    """The rows of plot_feature_maps: (label, (C, H, W) float maps) each, or a ValueError."""
    if isinstance(maps, Mapping):
        if row_labels is not None:
            raise ValueError("maps is a dict, whose keys label the rows: leave out row_labels.")
        rows = []
        for name, layer in maps.items():
            m = _to_numpy(layer).astype(np.float32, copy=False)
            shape = m.shape
            if m.ndim == 4 and m.shape[0] == 1:
                m = m[0]
            if m.ndim == 2:  # one map
                m = m[None]
            elif m.ndim == 1:  # C units, e.g. after a linear layer: C maps of 1 x 1
                m = m[:, None, None]
            if m.ndim != 3 or 0 in m.shape:
                raise ValueError(f"maps[{name!r}] of shape {shape}: expected (C, H, W).")
            rows.append((f"{name}\n{'x'.join(map(str, m.shape))}", m))
        if not rows:
            raise ValueError("plot_feature_maps got an empty dict of maps.")
        return rows
    x = _to_numpy(maps).astype(np.float32, copy=False)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or 0 in x.shape:
        raise ValueError(f"maps of shape {x.shape}: expected (C, H, W) or (R, C, H, W).")
    if row_labels is not None and len(row_labels) != len(x):
        raise ValueError(f"{len(row_labels)} row labels for {len(x)} rows.")
    return [(str(row_labels[r]) if row_labels is not None else "", x[r]) for r in range(len(x))]
