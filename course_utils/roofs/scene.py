"""What a synthetic aerial roof image shows: the difficulty knobs and the random scene sampler.

A scene is drawn first, in *scene units* (the image spans [0, 1] x [0, 1], x right, y down), and
rendered afterwards at any pixel size. Drawing every geometric and photometric choice before any
pixel noise keeps a seed's scene the same at 64 and 128 pixels; only the fine texture differs.

The parts a scene is made of (``Building``, ``Tree``, ``Effects``, ``RoofScene``) are defined in
:mod:`course_utils.roofs.elements`; this module re-exports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .elements import Building, Effects, RoofScene, Tree

__all__ = [
    "ROOF_CLASSES",
    "Building",
    "Effects",
    "RenderConfig",
    "RoofScene",
    "Tree",
    "sample_scene",
]

#: The three roof types, in ImageFolder's (alphabetical) order: label i is ``ROOF_CLASSES[i]``.
ROOF_CLASSES: tuple[str, str, str] = ("flat", "gabled", "hipped")

Range = tuple[float, float]


@dataclass(frozen=True)
class RenderConfig:
    """How varied and how degraded the generated images are (the generator's difficulty).

    The defaults are calibrated (``benchmarks/roofs_calibration.py``) for notebook 05's CPU
    budget: an MLP on pixels stays far below a small CNN (about 0.6 against 0.95), and a small
    transformer trained from scratch reaches about 0.88. Harder settings (more neighbours,
    trees and crops, flatter light) left the transformer below 0.8 within that budget. Lengths are fractions of the image side; angles in degrees;
    pixel amounts (blur) are for a 64-pixel image and scale with the size.

    Attributes:
        max_rotation_deg: main building orientation is uniform in +/- this (90 = any angle).
        footprint_length: long side of the main building.
        aspect: long side / short side.
        center_jitter: the main building's centre moves uniformly by up to this from the middle.
        crop_prob: chance of an extra shift that leaves part of the main roof outside the frame.
        crop_shift: size of that extra shift.
        pitch_deg: roof pitch of gabled and hipped roofs.
        eave_height: wall height, which sets the shadow length with the sun elevation.
        sun_elevation_deg: sun elevation; the azimuth is uniform.
        ambient: share of diffuse sky light; the rest is direct sun, so lower means more
            contrast between roof planes and darker shadows.
        neighbour_prob: chance of a neighbouring building in each of the four street slots.
        max_trees: up to this many trees (uniform count), some over the roof edges.
        road_prob: chance of a road strip parallel to the building.
        ground_patch_prob: chance of a second ground type in patches (lawn with soil, paving).
        colour_jitter: per-channel jitter of the material and ground colours.
        texture: multiplies material grain, tile rows, stains and ridge lines (0 = none).
        rim_prob: chance that a flat roof has a parapet rim.
        units_prob: chance that a flat roof carries rooftop units (air conditioning, skylights).
        blur_sigma: Gaussian blur of the whole image, in pixels at 64 px.
        noise_sigma: additive Gaussian sensor noise, on the [0, 1] scale.
        jpeg_prob: chance of a JPEG round-trip.
        jpeg_quality: its quality range.
        brightness: uniform +/- offset.
        contrast: contrast factor range.
        saturation: saturation factor range.
    """

    max_rotation_deg: float = 90.0
    footprint_length: Range = (0.5, 0.8)
    aspect: Range = (1.0, 2.0)
    center_jitter: float = 0.08
    crop_prob: float = 0.05
    crop_shift: float = 0.15
    pitch_deg: Range = (28.0, 45.0)
    eave_height: Range = (0.03, 0.08)
    sun_elevation_deg: Range = (30.0, 65.0)
    ambient: Range = (0.08, 0.2)
    neighbour_prob: float = 0.1
    max_trees: int = 1
    road_prob: float = 0.3
    ground_patch_prob: float = 0.5
    colour_jitter: float = 0.04
    texture: float = 1.0
    rim_prob: float = 0.7
    units_prob: float = 0.6
    blur_sigma: Range = (0.2, 0.6)
    noise_sigma: Range = (0.004, 0.015)
    jpeg_prob: float = 0.3
    jpeg_quality: tuple[int, int] = (40, 90)
    brightness: float = 0.06
    contrast: Range = (0.85, 1.15)
    saturation: Range = (0.75, 1.15)

    @classmethod
    def clean(cls) -> RenderConfig:
        """One centred, axis-aligned building on plain ground: no clutter, texture or artefacts.

        Useful to show the three classes at their clearest, and in tests: every roof plane is
        then a single flat colour.
        """
        return cls(
            max_rotation_deg=0.0,
            center_jitter=0.0,
            crop_prob=0.0,
            neighbour_prob=0.0,
            max_trees=0,
            road_prob=0.0,
            ground_patch_prob=0.0,
            colour_jitter=0.0,
            texture=0.0,
            rim_prob=0.0,
            units_prob=0.0,
            blur_sigma=(0.0, 0.0),
            noise_sigma=(0.0, 0.0),
            jpeg_prob=0.0,
            brightness=0.0,
            contrast=(1.0, 1.0),
            saturation=(1.0, 1.0),
        )

    def replace(self, **changes: object) -> RenderConfig:
        """A copy with some fields changed, e.g. ``config.replace(max_trees=0)``."""
        return replace(self, **changes)


# Roof materials, drawn independently of the roof type so that colour alone predicts nothing:
# terracotta, dark and brown shingle, light grey, white membrane, blue-grey slate or metal,
# green metal, tan gravel.
_MATERIALS = np.array(
    [
        [0.62, 0.34, 0.25],
        [0.26, 0.26, 0.28],
        [0.42, 0.33, 0.27],
        [0.60, 0.60, 0.60],
        [0.82, 0.82, 0.80],
        [0.36, 0.41, 0.47],
        [0.31, 0.43, 0.36],
        [0.64, 0.58, 0.48],
    ]
)
# Ground: grass, dry grass, asphalt, soil, concrete.
_GROUNDS = np.array(
    [
        [0.30, 0.42, 0.20],
        [0.50, 0.50, 0.32],
        [0.31, 0.31, 0.32],
        [0.50, 0.41, 0.31],
        [0.63, 0.61, 0.57],
    ]
)
_GROUND_WEIGHTS = np.array([0.4, 0.15, 0.15, 0.15, 0.15])


def _jitter(rng: np.random.Generator, rgb: np.ndarray, amount: float) -> tuple[float, float, float]:
    """Varies a colour's brightness by up to 3 * amount and each channel by up to amount.

    Multiplicative, so dark colours keep their hue instead of drifting towards purple or teal.
    """
    scale = 1.0 + rng.uniform(-3 * amount, 3 * amount)
    out = np.clip(rgb * scale * (1.0 + rng.uniform(-amount, amount, 3)), 0.03, 0.97)
    return (float(out[0]), float(out[1]), float(out[2]))


def _building(
    rng: np.random.Generator,
    cfg: RenderConfig,
    roof_type: str,
    center: tuple[float, float],
    angle: float,
    length: float,
) -> Building:
    aspect = rng.uniform(*cfg.aspect)
    half_length, half_width = length / 2, length / (2 * aspect)
    colour = _jitter(rng, _MATERIALS[rng.integers(len(_MATERIALS))], cfg.colour_jitter)
    tex = cfg.texture
    rim_width, rim_shade, units = 0.0, 1.0, []
    if roof_type == "flat":
        if rng.random() < cfg.rim_prob:
            rim_width = rng.uniform(0.008, 0.02)
            rim_shade = rng.uniform(0.75, 1.3)
        if rng.random() < cfg.units_prob:
            for _ in range(rng.integers(1, 4)):
                hu, hv = rng.uniform(0.012, 0.04, 2)
                u = rng.uniform(-1, 1) * max(half_length - hu - 0.02, 0.0)
                v = rng.uniform(-1, 1) * max(half_width - hv - 0.02, 0.0)
                units.append((u, v, hu, hv, rng.uniform(0.01, 0.025), rng.uniform(0.7, 1.4)))
    return Building(
        roof_type=roof_type,
        center=center,
        angle=angle,
        half_length=half_length,
        half_width=half_width,
        pitch=math.tan(math.radians(rng.uniform(*cfg.pitch_deg))),
        eave_height=rng.uniform(*cfg.eave_height),
        colour=colour,
        grain=tex * rng.uniform(0.01, 0.06),
        stain=tex * rng.uniform(0.0, 0.08),
        rows=tex * rng.uniform(0.0, 0.08) * (rng.random() < 0.6),
        row_period=rng.uniform(0.02, 0.04),
        ridge=tex * rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.25) * (roof_type != "flat"),
        rim_width=rim_width,
        rim_shade=rim_shade,
        units=tuple(units),
    )


def _neighbours(rng: np.random.Generator, cfg: RenderConfig, main: Building) -> list[Building]:
    """Buildings in the four street slots around the main one, often partly outside the frame."""
    out = []
    c, s = math.cos(main.angle), math.sin(main.angle)
    for du, dv in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        if rng.random() >= cfg.neighbour_prob:
            continue
        turn = rng.random() < 0.3  # some neighbours stand at right angles
        angle = main.angle + (math.pi / 2 if turn else 0.0) + rng.normal(0, 0.05)
        length = rng.uniform(*cfg.footprint_length)
        roof_type = ROOF_CLASSES[rng.integers(3)]
        nb = _building(rng, cfg, roof_type, (0.0, 0.0), angle, length)
        # Extent of the neighbour along the slot direction, to leave a gap between the two.
        along_u = abs(du) * (nb.half_width if turn else nb.half_length) + abs(dv) * (
            nb.half_length if turn else nb.half_width
        )
        reach = abs(du) * main.half_length + abs(dv) * main.half_width
        dist = reach + along_u + rng.uniform(0.08, 0.2)
        slide = rng.uniform(-0.15, 0.15)
        off_u, off_v = du * dist + dv * slide, dv * dist + du * slide
        center = (main.center[0] + off_u * c - off_v * s, main.center[1] + off_u * s + off_v * c)
        out.append(replace(nb, center=center))
    return out


def _trees(rng: np.random.Generator, cfg: RenderConfig, main: Building) -> list[Tree]:
    out = []
    corners = main.corners()
    for _ in range(rng.integers(0, cfg.max_trees + 1)):
        if rng.random() < 0.5:  # near an edge of the main roof, where it hides part of it
            k = rng.integers(4)
            t = rng.random()
            x, y = corners[k] * (1 - t) + corners[(k + 1) % 4] * t + rng.normal(0, 0.04, 2)
        else:
            x, y = rng.uniform(0, 1, 2)
        radius = rng.uniform(0.035, 0.08)
        lobes = [(float(x), float(y), float(radius))]
        for _ in range(rng.integers(0, 4)):
            ang = rng.uniform(0, 2 * math.pi)
            d = radius * rng.uniform(0.4, 0.8)
            lobes.append(
                (x + d * math.cos(ang), y + d * math.sin(ang), radius * rng.uniform(0.5, 0.8))
            )
        green = np.array([0.18, 0.30, 0.14]) * rng.uniform(0.7, 1.3) + rng.uniform(-0.03, 0.03, 3)
        out.append(
            Tree(
                tuple(lobes), rng.uniform(0.04, 0.12), tuple(float(g) for g in np.clip(green, 0, 1))
            )
        )
    return out


def _effects(rng: np.random.Generator, cfg: RenderConfig) -> Effects:
    gains = 1.0 + rng.uniform(-1, 1, 3) * cfg.colour_jitter * 0.5
    return Effects(
        brightness=rng.uniform(-cfg.brightness, cfg.brightness),
        contrast=rng.uniform(*cfg.contrast),
        saturation=rng.uniform(*cfg.saturation),
        gains=(float(gains[0]), float(gains[1]), float(gains[2])),
        blur_sigma=rng.uniform(*cfg.blur_sigma),
        noise_sigma=rng.uniform(*cfg.noise_sigma),
        jpeg_quality=int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        if rng.random() < cfg.jpeg_prob
        else 0,
    )


def sample_scene(
    roof_type: str, rng: np.random.Generator, config: RenderConfig | None = None
) -> RoofScene:
    """Draws a random scene around one building with the given roof type.

    Args:
        roof_type: one of ``ROOF_CLASSES``.
        rng: source of randomness; the scene consumes a fixed prefix of it per configuration.
        config: difficulty knobs; ``RenderConfig()`` when None.

    Returns:
        The scene, in scene units (image = unit square).
    """
    if roof_type not in ROOF_CLASSES:
        raise ValueError(f"roof_type must be one of {ROOF_CLASSES}, got {roof_type!r}")
    cfg = config or RenderConfig()
    angle = math.radians(rng.uniform(-cfg.max_rotation_deg, cfg.max_rotation_deg))
    center = 0.5 + rng.uniform(-cfg.center_jitter, cfg.center_jitter, 2)
    if rng.random() < cfg.crop_prob:
        direction = rng.uniform(0, 2 * math.pi)
        center += cfg.crop_shift * np.array([math.cos(direction), math.sin(direction)])
    length = rng.uniform(*cfg.footprint_length)
    main = _building(rng, cfg, roof_type, (float(center[0]), float(center[1])), angle, length)
    neighbours = _neighbours(rng, cfg, main)

    ground_idx = rng.choice(len(_GROUNDS), p=_GROUND_WEIGHTS)
    ground = _jitter(rng, _GROUNDS[ground_idx], cfg.colour_jitter)
    patch = None
    if rng.random() < cfg.ground_patch_prob:  # worn lawn, bare soil: natural covers only
        patch = _jitter(rng, _GROUNDS[rng.choice([0, 1, 3])], cfg.colour_jitter)
    patch_level = rng.uniform(-0.3, 0.5)
    road = None
    if rng.random() < cfg.road_prob:
        # A street along one side of the building, clear of its footprint.
        road_angle = angle + (math.pi / 2 if rng.random() < 0.5 else 0.0)
        normal = np.array([-math.sin(road_angle), math.cos(road_angle)])
        reach = float(np.abs((main.corners() - center) @ normal).max())
        width = rng.uniform(0.1, 0.22)
        offset = rng.choice([-1.0, 1.0]) * (reach + width / 2 + rng.uniform(0.04, 0.15))
        road_rgb = _jitter(rng, np.array([0.33, 0.33, 0.34]), cfg.colour_jitter)
        road = (road_angle, float(offset), width, road_rgb)

    trees = _trees(rng, cfg, main)
    tint = np.array([0.42, 0.46, 0.58]) * rng.uniform(0.8, 1.2)
    return RoofScene(
        roof_type=roof_type,
        sun_azimuth=rng.uniform(0, 2 * math.pi),
        sun_elevation=math.radians(rng.uniform(*cfg.sun_elevation_deg)),
        ambient=rng.uniform(*cfg.ambient),
        shadow_tint=(float(tint[0]), float(tint[1]), float(tint[2])),
        ground=ground,
        ground_grain=cfg.texture * rng.uniform(0.01, 0.04),
        patch=patch,
        patch_level=patch_level,
        road=road,
        buildings=(*neighbours, main),
        trees=tuple(trees),
        effects=_effects(rng, cfg),
    )
