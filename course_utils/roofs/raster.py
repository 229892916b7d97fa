"""Vectorised rasterisation primitives for the roof renderer: NumPy only.

Everything works in pixel units on a square canvas whose pixel ``(row, col)`` has its centre at
``(x, y) = (col + 0.5, row + 0.5)``; ``x`` grows to the right and ``y`` downwards.

Anti-aliasing is analytic instead of supersampled: a pixel whose centre lies at signed distance
``d`` (in pixels, positive inside) from a straight edge is covered by about ``clip(d + 0.5, 0, 1)``
of its area, and a convex shape covers about the minimum of that over its edges. This is exact
away from corners and costs one pass instead of the four or sixteen a supersampler would.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

__all__ = [
    "Window",
    "convex_coverage",
    "convex_hull",
    "gaussian_blur",
    "jpeg_roundtrip",
    "smooth_noise",
    "window",
]

_F = np.float32


class Window:
    """A rectangular block of the canvas with its pixel-centre coordinates.

    Attributes:
        rows, cols: slices into the (size, size) canvas.
        x: (1, w) pixel-centre x coordinates of the block's columns.
        y: (h, 1) pixel-centre y coordinates of the block's rows.
    """

    __slots__ = ("rows", "cols", "x", "y")

    def __init__(self, r0: int, r1: int, c0: int, c1: int) -> None:
        self.rows = slice(r0, r1)
        self.cols = slice(c0, c1)
        self.x = (np.arange(c0, c1, dtype=_F) + _F(0.5))[None, :]
        self.y = (np.arange(r0, r1, dtype=_F) + _F(0.5))[:, None]


def window(points: np.ndarray, size: int, margin: float = 1.0) -> Window | None:
    """The canvas block that contains ``points`` (k, 2) grown by ``margin`` pixels, or None.

    Rendering inside this block instead of the whole canvas keeps the cost of a shape
    proportional to its area; None means the shape is entirely off the canvas.
    """
    lo = np.floor(points.min(axis=0) - margin).astype(int)
    hi = np.ceil(points.max(axis=0) + margin).astype(int)
    c0, r0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
    c1, r1 = min(int(hi[0]), size), min(int(hi[1]), size)
    if c0 >= c1 or r0 >= r1:
        return None
    return Window(r0, r1, c0, c1)


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Convex hull of a few 2-D points (Andrew's monotone chain), counter-clockwise in x-y.

    Args:
        points: (k, 2) array, k small (the renderer passes at most a dozen).

    Returns:
        (m, 2) hull vertices without repetition, m <= k.
    """
    pts = sorted({(float(p[0]), float(p[1])) for p in points})
    if len(pts) <= 2:
        return np.array(pts, dtype=np.float64)

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def convex_coverage(polygon: np.ndarray, win: Window) -> np.ndarray:
    """Anti-aliased coverage of a convex polygon over a window (half-plane tests).

    Args:
        polygon: (m, 2) vertices in pixel units, in either winding order, m >= 3.
        win: the block to rasterise.

    Returns:
        (h, w) float32 coverage in [0, 1].
    """
    p = np.asarray(polygon, dtype=np.float64)
    edge = np.concatenate([p[1:], p[:1]]) - p
    # Inward normals: for a counter-clockwise (positive-area) polygon the interior is on the left.
    sign = 1.0 if float(np.sum(p[:, 0] * edge[:, 1] - p[:, 1] * edge[:, 0])) > 0 else -1.0
    length = np.hypot(edge[:, 0], edge[:, 1])
    keep = length > 1e-9
    normal = (sign / length[keep, None]) * np.stack([-edge[keep, 1], edge[keep, 0]], axis=1)
    offset = np.sum(normal * p[keep], axis=1).astype(_F)
    normal = normal.astype(_F)
    # (m, h, w) signed distances to every edge line, positive inside; the nearest edge decides.
    dist = normal[:, 0, None, None] * win.x + (
        normal[:, 1, None, None] * win.y - offset[:, None, None]
    )
    return np.clip(dist.min(axis=0) + _F(0.5), 0.0, 1.0)


@lru_cache(maxsize=64)
def _upsample_matrix(grid: int, size: int) -> np.ndarray:
    """(size, grid) linear-interpolation weights taking a coarse grid to pixel centres."""
    pos = (np.arange(size) + 0.5) / size * (grid - 1)
    i0 = np.clip(np.floor(pos).astype(int), 0, grid - 2)
    frac = pos - i0
    m = np.zeros((size, grid), dtype=_F)
    m[np.arange(size), i0] = 1.0 - frac
    m[np.arange(size), i0 + 1] = frac
    m.setflags(write=False)
    return m


def smooth_noise(rng: np.random.Generator, size: int, grid: int, channels: int = 0) -> np.ndarray:
    """Low-frequency noise: a coarse Gaussian grid interpolated up to the canvas.

    Args:
        rng: source of randomness.
        size: canvas side in pixels.
        grid: coarse grid side (>= 2); larger means finer blobs.
        channels: 0 for a (size, size) field, else (size, size, channels).

    Returns:
        float32 field with values of standard deviation roughly 0.6 (interpolation smooths).
    """
    m = _upsample_matrix(grid, size)
    if channels == 0:
        coarse = rng.standard_normal((grid, grid), dtype=_F)
        return m @ coarse @ m.T
    coarse = rng.standard_normal((channels, grid, grid), dtype=_F)
    return np.einsum("ij,cjk,lk->ilc", m, coarse, m, optimize=True)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of an (H, W, C) float image, edges replicated.

    A sum of shifted slices: at these image sizes it beats both a banded matrix product and
    an FFT.

    Args:
        img: (H, W, C) float32 image.
        sigma: standard deviation in pixels; below 0.2 the image is returned unchanged.
    """
    if sigma < 0.2:
        return img
    radius = max(1, int(np.ceil(2.5 * sigma)))
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    kernel = (kernel / kernel.sum()).astype(_F)
    h, w = img.shape[:2]
    padded = np.pad(img, ((radius, radius), (0, 0), (0, 0)), mode="edge")
    out = kernel[0] * padded[0:h]
    for k in range(1, 2 * radius + 1):
        out += kernel[k] * padded[k : k + h]
    padded = np.pad(out, ((0, 0), (radius, radius), (0, 0)), mode="edge")
    out = kernel[0] * padded[:, 0:w]
    for k in range(1, 2 * radius + 1):
        out += kernel[k] * padded[:, k : k + w]
    return out


def jpeg_roundtrip(img: np.ndarray, quality: int) -> np.ndarray:
    """Encodes an (H, W, 3) uint8 image as JPEG and decodes it again (blocking, ringing, chroma).

    Pillow ships with torchvision and matplotlib, so this adds no dependency; it is imported
    here rather than at module level to keep ``import course_utils.roofs`` light.
    """
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, format="JPEG", quality=int(quality))
    # Calling the JPEG decoder directly skips Image.open's format sniffing (half the cost here).
    decoded = Image.frombytes(
        "RGB", (img.shape[1], img.shape[0]), buffer.getvalue(), "jpeg", "RGB", ""
    )
    return np.asarray(decoded, dtype=np.uint8)
