"""What a roof scene holds: its buildings, trees and camera effects, in scene units.

:func:`~course_utils.roofs.scene.sample_scene` draws these at random; ``render`` turns them into
pixels. The image spans [0, 1] x [0, 1] in scene units, x right, y down; heights are in the same
units, z up out of the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Building", "Effects", "RoofScene", "Tree"]


@dataclass(frozen=True)
class Building:
    """One building, in scene units; the roof rises from the footprint's edges at ``pitch``.

    Local coordinates: ``u`` along the long axis (the ridge), ``v`` across it.
    """

    roof_type: str
    center: tuple[float, float]
    angle: float  # radians, direction of the long axis from the x axis
    half_length: float
    half_width: float
    pitch: float  # tan of the pitch angle; unused for flat roofs
    eave_height: float
    colour: tuple[float, float, float]
    grain: float = 0.0  # per-pixel material noise amplitude
    stain: float = 0.0  # low-frequency weathering amplitude
    rows: float = 0.0  # amplitude of tile/shingle rows (pitched) or membrane seams (flat)
    row_period: float = 0.03
    ridge: float = 0.0  # relative brightness of ridge and hip caps (may be negative)
    rim_width: float = 0.0  # flat roofs: parapet width, 0 for none
    rim_shade: float = 1.0
    units: tuple[tuple[float, float, float, float, float, float], ...] = ()  # u, v, hu, hv, h, tone

    def corners(self) -> np.ndarray:
        """(4, 2) footprint corners in scene units, counter-clockwise."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        ax, ay = self.half_length * c, self.half_length * s  # half the long axis
        bx, by = -self.half_width * s, self.half_width * c  # half the short axis
        x, y = self.center
        return np.array(
            [
                [x + ax + bx, y + ay + by],
                [x - ax + bx, y - ay + by],
                [x - ax - bx, y - ay - by],
                [x + ax - bx, y + ay - by],
            ]
        )

    def ridge_points(self) -> np.ndarray:
        """(2, 2) ends of the ridge (equal for a pyramid; the centre for flat roofs)."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        if self.roof_type == "gabled":
            r = self.half_length
        elif self.roof_type == "hipped":
            r = self.half_length - self.half_width
        else:
            r = 0.0
        return np.array([[r * c, r * s], [-r * c, -r * s]]) + np.asarray(self.center)

    @property
    def ridge_height(self) -> float:
        """Height of the ridge above the eaves."""
        return 0.0 if self.roof_type == "flat" else self.pitch * self.half_width


@dataclass(frozen=True)
class Tree:
    """A tree crown made of overlapping discs, in scene units."""

    lobes: tuple[tuple[float, float, float], ...]  # (x, y, radius)
    height: float
    colour: tuple[float, float, float]


@dataclass(frozen=True)
class Effects:
    """Camera and processing degradations applied after rendering."""

    brightness: float = 0.0
    contrast: float = 1.0
    saturation: float = 1.0
    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    blur_sigma: float = 0.0  # pixels at 64 px
    noise_sigma: float = 0.0
    jpeg_quality: int = 0  # 0: no JPEG round-trip


@dataclass(frozen=True)
class RoofScene:
    """Everything needed to render one image; ``buildings[-1]`` is the labelled building."""

    roof_type: str
    sun_azimuth: float  # radians, direction *towards* the sun in the image plane
    sun_elevation: float  # radians
    ambient: float  # share of sky light in the shading
    shadow_tint: tuple[float, float, float]
    ground: tuple[float, float, float]
    ground_grain: float
    patch: tuple[float, float, float] | None  # second ground colour, or None
    patch_level: float
    road: tuple[float, float, float, tuple[float, float, float]] | None  # angle, offset, width, rgb
    buildings: tuple[Building, ...]
    trees: tuple[Tree, ...] = ()
    effects: Effects = field(default_factory=Effects)

    @property
    def main(self) -> Building:
        """The labelled building."""
        return self.buildings[-1]

    def sun_vector(self) -> np.ndarray:
        """Unit vector towards the sun, (x, y, z) with z up out of the image."""
        ce = math.cos(self.sun_elevation)
        return np.array(
            [
                ce * math.cos(self.sun_azimuth),
                ce * math.sin(self.sun_azimuth),
                math.sin(self.sun_elevation),
            ]
        )
