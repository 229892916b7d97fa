"""What the plotting modules share: detached figures, array conversion, image batches, titles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

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


def _scale_limits(maps: np.ndarray, vmin: float | None, vmax: float | None) -> tuple[float, float]:
    """Colour limits over ``maps``; a constant map gets a non-empty range around its value."""
    low = float(np.nanmin(maps)) if vmin is None else vmin
    high = float(np.nanmax(maps)) if vmax is None else vmax
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return low, high
