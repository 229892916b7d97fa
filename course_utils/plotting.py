"""Pictures more than one notebook needs: training curves, image grids, confusion matrices.

Every function returns a ``matplotlib.figure.Figure`` that is detached from pyplot's list of open
figures. A notebook shows it once when the call is the cell's last expression (or through
``display(fig)``); no ``plt.show()`` is needed, and figures never pile up in pyplot's state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

__all__ = [
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_conv_windows",
    "plot_attention_maps",
    "plot_feature_maps",
    "plot_history",
    "plot_position_similarity",
    "show_attention_maps",
    "show_feature_maps",
    "show_filters",
    "show_images",
]

_CORRECT_COLOR = "tab:green"
_WRONG_COLOR = "tab:red"


def _new_figure(figsize: tuple[float, float]) -> Figure:
    # pyplot is imported here, not at module import, and the figure is closed at once: importing
    # pyplot lets Jupyter's inline backend register its Figure renderer, and closing stops the
    # backend from drawing the figure a second time at the end of the cell.
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    plt.close(fig)
    return fig


def _to_numpy(values: Any) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch.Tensor, without importing torch
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def plot_history(history: Any, *, val_label: str = "val") -> Figure:
    """Loss and accuracy per epoch, training and validation side by side.

    Args:
        history: a ``course_utils.training.History`` or a dict with lists ``train_loss``,
            ``train_acc`` and optionally ``val_loss``, ``val_acc`` and ``epoch``.
        val_label: the legend's name for the evaluation data: ``"test"`` when ``fit`` was
            given the test split, so that the picture does not call it a validation set.

    Returns:
        A Figure with two axes: loss (left) and accuracy (right).
    """
    h: Mapping[str, Sequence[float]] = history.to_dict() if hasattr(history, "to_dict") else history
    epochs = list(h.get("epoch") or range(1, len(h["train_loss"]) + 1))
    fig = _new_figure((10, 3.6))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, metric, title in ((ax_loss, "loss", "loss"), (ax_acc, "acc", "accuracy")):
        for split, style, label in (("train", "o-", "train"), ("val", "s--", val_label)):
            values = h.get(f"{split}_{metric}") or []
            if len(values):
                ax.plot(epochs[: len(values)], values, style, label=label)
        ax.set(xlabel="epoch", title=title)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    fig.tight_layout()
    return fig


def _as_image_batch(images: Any) -> np.ndarray:
    """Brings (N,1,H,W), (N,3,H,W), (N,H,W), (N,H,W,3) or (N, H*W) to (N,H,W) or (N,H,W,3)."""
    x = _to_numpy(images).astype(np.float32, copy=False)
    if x.ndim == 2:  # flattened square images, e.g. MNIST loaded with flatten=True
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(f"cannot show flat images of {x.shape[1]} pixels: not a square.")
        x = x.reshape(-1, side, side)
    elif x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        x = x.transpose(0, 2, 3, 1)  # channels first -> channels last
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 3):
        raise ValueError(
            f"images of shape {tuple(_to_numpy(images).shape)}: expected (N, 1, H, W), "
            "(N, 3, H, W), (N, H, W) or (N, H, W, 3)."
        )
    return x


def _label(value: Any, class_names: Sequence[str] | None) -> str:
    index = int(value)
    return str(class_names[index]) if class_names is not None else str(index)


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


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts how often each true class was predicted as each class.

    Args:
        y_true: (N,) integer labels.
        y_pred: (N,) integer predictions, or (N, K) scores whose argmax is taken.
        num_classes: K; ``None`` means one more than the largest label or prediction.

    Returns:
        int64 (K, K) matrix: entry [i, j] counts samples of true class i predicted as j, so rows
        are true classes and the diagonal holds the correct predictions.
    """
    t = _to_numpy(y_true).reshape(-1)
    p = _to_numpy(y_pred)
    p = p.argmax(axis=1) if p.ndim == 2 else p.reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} entries but y_pred has {p.size}.")
    if t.size and not (np.issubdtype(t.dtype, np.integer) and np.issubdtype(p.dtype, np.integer)):
        raise ValueError(f"labels must be integers, got {t.dtype} and {p.dtype}.")
    t, p = t.astype(np.int64), p.astype(np.int64)
    k = int(max(t.max(initial=-1), p.max(initial=-1)) + 1) if num_classes is None else num_classes
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= k):
        raise ValueError(f"labels and predictions must lie in 0..{k - 1}.")
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
) -> Figure:
    """The confusion matrix as a heat map with the count (or row fraction) in every cell.

    Args:
        y_true: (N,) integer labels.
        y_pred: (N,) integer predictions, or (N, K) scores.
        class_names: K names for the axes; also fixes K when some class never occurs.
        normalize: show each row as fractions of its true class (rows sum to 1) instead of counts.

    Returns:
        A Figure with one axes: true class down, predicted class across.
    """
    counts = confusion_matrix(y_true, y_pred, None if class_names is None else len(class_names))
    k = len(counts)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    totals = counts.sum(axis=1, keepdims=True)
    shown = counts / np.maximum(totals, 1) if normalize else counts
    fig = _new_figure((max(3.6, 1.2 + 0.55 * k), max(3.2, 1.0 + 0.55 * k)))
    ax = fig.subplots()
    ax.imshow(shown, cmap="Blues", vmin=0)
    threshold = shown.max() / 2
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(counts[i, j])
            color = "white" if shown[i, j] > threshold else "black"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xticklabels=names,
        yticklabels=names,
        xlabel="predicted class",
        ylabel="true class",
        title=f"accuracy {accuracy:.3f}",
    )
    if k > 5 and max(len(name) for name in names) > 2:
        ax.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    return fig


# --- notebook 04: transformers ---


def _as_map_batch(maps: Any, name: str) -> np.ndarray:
    """Brings (N, h, w) or (N, 1, h, w) maps to float (N, h, w), or explains why not."""
    m = _to_numpy(maps).astype(np.float64, copy=False)
    if m.ndim == 4 and m.shape[1] == 1:
        m = m[:, 0]
    if m.ndim != 3:
        raise ValueError(f"{name} of shape {m.shape}: expected (N, h, w) or (N, 1, h, w).")
    return m


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


# --- notebook 02: convolution windows and feature maps ---

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


# --- notebook 03: attention networks ---


def _scale_limits(maps: np.ndarray, vmin: float | None, vmax: float | None) -> tuple[float, float]:
    """Colour limits over ``maps``; a constant map gets a non-empty range around its value."""
    low = float(np.nanmin(maps)) if vmin is None else vmin
    high = float(np.nanmax(maps)) if vmax is None else vmax
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return low, high


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
        if y_pred is not None:
            title, color = _label(y_pred[r], class_names), "black"
            if y_true is not None:
                title += f" ({_label(y_true[r], class_names)})"
                color = _CORRECT_COLOR if int(y_pred[r]) == int(y_true[r]) else _WRONG_COLOR
            axes[r, 0].set_title(title, color=color, fontsize=9)
        elif y_true is not None:
            axes[r, 0].set_title(_label(y_true[r], class_names), fontsize=9)
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
