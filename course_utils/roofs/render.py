"""Renders a :class:`~course_utils.roofs.elements.RoofScene` to a top-down RGB image.

Painter's order: ground (with patches and a road), building shadows on the ground, roofs
(neighbours first, the labelled building last), tree shadows over everything, tree crowns, then
the camera (colour response, blur, sensor noise, 8-bit quantisation, JPEG).

Roof planes are shaded with Lambert's law, ``ambient + (1 - ambient) * max(0, n . s)`` for plane
normal ``n`` and sun direction ``s``, divided by the value a flat roof gets so that the material
colour is what a flat roof shows. A building's shadow is exact for these convex solids: the convex
hull of its vertices pushed along the sun's rays down to the ground.
"""

from __future__ import annotations

import math

import numpy as np

from .elements import Building, RoofScene, Tree
from .raster import (
    Window,
    convex_coverage,
    convex_hull,
    gaussian_blur,
    jpeg_roundtrip,
    smooth_noise,
    window,
)
from .scene import ROOF_CLASSES, RenderConfig, sample_scene

__all__ = ["render_roof", "render_scene", "roof_plane_map"]

_F = np.float32
_SQRT1_2 = _F(math.sqrt(0.5))


def _as_rng(rng_or_seed: np.random.Generator | int | np.random.SeedSequence) -> np.random.Generator:
    return np.random.default_rng(rng_or_seed)


def render_roof(
    roof_type: str | int,
    rng_or_seed: np.random.Generator | int | np.random.SeedSequence,
    size: int = 64,
    *,
    config: RenderConfig | None = None,
) -> np.ndarray:
    """Renders one random aerial image of a building with the given roof type.

    Args:
        roof_type: ``"flat"``, ``"gabled"`` or ``"hipped"``, or its index in ``ROOF_CLASSES``.
        rng_or_seed: a ``np.random.Generator`` (advanced in place) or a seed; the same seed gives
            the same image. The scene does not depend on ``size``, only its fine texture does.
        size: side of the square image in pixels (>= 16).
        config: difficulty knobs; ``RenderConfig()`` (the calibrated default) when None.

    Returns:
        (size, size, 3) uint8 RGB image.
    """
    if isinstance(roof_type, (int, np.integer)):
        roof_type = ROOF_CLASSES[int(roof_type)]
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    rng = _as_rng(rng_or_seed)
    scene = sample_scene(roof_type, rng, config)
    return render_scene(scene, size, rng)


def render_scene(scene: RoofScene, size: int, rng: np.random.Generator) -> np.ndarray:
    """Renders a scene at ``size`` x ``size`` pixels; ``rng`` supplies textures and noise.

    Returns:
        (size, size, 3) uint8 RGB image.
    """
    sun = scene.sun_vector()
    img = _ground(scene, size, rng)

    shadow = np.zeros((size, size), dtype=_F)
    for b in scene.buildings:
        _building_shadow(shadow, b, sun, size)
    img *= 1.0 - shadow[..., None] * (1.0 - np.asarray(scene.shadow_tint, dtype=_F))

    for b in scene.buildings:
        _draw_building(img, b, scene, sun, size, rng)

    if scene.trees:
        shade = np.zeros((size, size), dtype=_F)
        for tree in scene.trees:
            _tree_shadow(shade, tree, sun, size)
        img *= 1.0 - shade[..., None] * (1.0 - np.asarray(scene.shadow_tint, dtype=_F))
        for tree in scene.trees:
            _draw_tree(img, tree, scene, sun, size, rng)

    return _camera(img, scene, size, rng)


def roof_plane_map(scene: RoofScene, size: int) -> np.ndarray:
    """Which roof plane of the labelled building each pixel centre falls on.

    Returns:
        (size, size) int8: 0 off the roof; flat 1; gabled 1 and 2 (the two sides of the
        ridge); hipped 1 and 2 (the trapezoids), 3 and 4 (the triangular ends).
    """
    out = np.zeros((size, size), dtype=np.int8)
    b = scene.main
    win = window(b.corners() * size, size)
    if win is None:
        return out
    u, v, du, dv = _local_frame(b, win, size)
    inside = np.minimum(du, dv) > 0
    if b.roof_type == "flat":
        plane = np.ones_like(u, dtype=np.int8)
    else:
        plane = np.where(v > 0, 2, 1).astype(np.int8)
        if b.roof_type == "hipped":
            plane = np.where(du < dv, np.where(u > 0, 4, 3), plane).astype(np.int8)
    out[win.rows, win.cols] = np.where(inside, plane, 0)
    return out


# --------------------------------------------------------------------------------------------
# Scene parts
# --------------------------------------------------------------------------------------------


def _ground(scene: RoofScene, size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, size, 3) ground: base colour with texture, soft patches of a second cover, a road."""
    grain = _F(scene.ground_grain)
    lum = 1.0 + grain * (
        3.0 * smooth_noise(rng, size, 7) + rng.standard_normal((size, size), dtype=_F)
    )
    img = np.asarray(scene.ground, dtype=_F) * lum[..., None]
    if scene.patch is not None:
        mask = np.clip((smooth_noise(rng, size, 5) - _F(scene.patch_level)) * _F(5.0), 0.0, 1.0)
        img += mask[..., None] * (np.asarray(scene.patch, dtype=_F) * lum[..., None] - img)
    if scene.road is not None:
        angle, offset, width, rgb = scene.road
        cx, cy = scene.main.center
        nx, ny = -math.sin(angle), math.cos(angle)
        win = Window(0, size, 0, size)
        dist = (
            (win.x - _F(cx * size)) * _F(nx) + (win.y - _F(cy * size)) * _F(ny) - _F(offset * size)
        )
        cover = np.clip(_F(width * size / 2) - np.abs(dist) + _F(0.5), 0.0, 1.0)
        road = np.asarray(rgb, dtype=_F) * (1.0 + _F(0.5) * (lum[..., None] - 1.0))
        img += cover[..., None] * (road - img)
    return img


def _sun_shift(sun: np.ndarray) -> np.ndarray:
    """Ground displacement of a shadow per unit of height (away from the sun)."""
    return -sun[:2] / sun[2]


def _building_shadow(shadow: np.ndarray, b: Building, sun: np.ndarray, size: int) -> None:
    shift = _sun_shift(sun)
    base = b.corners()
    top = base + shift * b.eave_height
    ridge = b.ridge_points() + shift * (b.eave_height + b.ridge_height)
    hull = convex_hull(np.concatenate([base, top, ridge]) * size)
    win = window(hull, size)
    if win is None or len(hull) < 3:
        return
    cover = convex_coverage(hull, win)
    np.maximum(shadow[win.rows, win.cols], cover, out=shadow[win.rows, win.cols])


def _local_frame(b: Building, win: Window, size: int) -> tuple[np.ndarray, ...]:
    """Per-pixel roof coordinates in pixels: u along the ridge, v across, and the distances
    du, dv from the end and side eaves (positive inside the footprint)."""
    c, s = _F(math.cos(b.angle)), _F(math.sin(b.angle))
    dx = win.x - _F(b.center[0] * size)  # (1, w)
    dy = win.y - _F(b.center[1] * size)  # (h, 1)
    u = dx * c + dy * s  # (h, w)
    v = dy * c - dx * s
    du = _F(b.half_length * size) - np.abs(u)
    dv = _F(b.half_width * size) - np.abs(v)
    return u, v, du, dv


def _plane_shade(b: Building, scene: RoofScene, sun: np.ndarray, nu: float, nv: float) -> float:
    """Lambert shade of a plane with local normal (nu, nv, 1), relative to a flat roof."""
    c, s = math.cos(b.angle), math.sin(b.angle)
    n = np.array([nu * c - nv * s, nu * s + nv * c, 1.0])
    n /= np.linalg.norm(n)
    amb = scene.ambient
    return (amb + (1 - amb) * max(float(n @ sun), 0.0)) / (amb + (1 - amb) * sun[2])


def _draw_building(
    img: np.ndarray,
    b: Building,
    scene: RoofScene,
    sun: np.ndarray,
    size: int,
    rng: np.random.Generator,
) -> None:
    win = window(b.corners() * size, size)
    if win is None:
        return
    u, v, du, dv = _local_frame(b, win, size)
    edge = np.minimum(du, dv)  # distance to the nearest eave
    alpha = np.clip(edge + _F(0.5), 0.0, 1.0)
    half_width = _F(b.half_width * size)
    line_w = _F(max(0.8, 0.012 * size))

    if b.roof_type == "flat":
        shade = np.ones_like(u)
        contour = u  # membrane seams run across the long axis
        period = 2.0 * b.row_period
    else:
        t = b.pitch
        side_v = np.clip(v + _F(0.5), 0.0, 1.0)
        s_neg, s_pos = (_plane_shade(b, scene, sun, 0.0, k * t) for k in (-1, 1))
        shade = _F(s_neg) + _F(s_pos - s_neg) * side_v
        ridge = np.clip(_F(1.0) - np.abs(v) / line_w, 0.0, 1.0)
        if b.roof_type == "gabled":
            contour = dv
            line = ridge
        else:
            e_neg, e_pos = (_plane_shade(b, scene, sun, k * t, 0.0) for k in (-1, 1))
            end = _F(e_neg) + _F(e_pos - e_neg) * np.clip(u + _F(0.5), 0.0, 1.0)
            on_side = np.clip((du - dv) * _SQRT1_2 + _F(0.5), 0.0, 1.0)
            shade = end + on_side * (shade - end)
            contour = edge  # equal pitch: height is proportional to the distance to any eave
            hip = np.clip(_F(1.0) - np.abs(du - dv) * _SQRT1_2 / line_w, 0.0, 1.0)
            line = np.maximum(hip, ridge * np.clip(du - half_width + _F(1.0), 0.0, 1.0))
        shade = shade * (_F(1.0) + _F(b.ridge) * line)
        period = b.row_period

    texture = _F(1.0)
    if b.grain > 0:
        texture = texture + _F(b.grain) * rng.standard_normal(u.shape, dtype=_F)
    if b.stain > 0:
        texture = texture + _F(b.stain) * smooth_noise(rng, size, 9)[win.rows, win.cols]
    if b.rows > 0:
        period_px = max(period * size, 2.2)  # finer rows would only alias
        texture = texture + _F(b.rows) * np.cos(contour * _F(2 * math.pi / period_px))
    if b.rim_width > 0:
        rim = np.clip(_F(b.rim_width * size) - edge + _F(0.5), 0.0, 1.0)
        texture = texture * (_F(1.0) + _F(b.rim_shade - 1.0) * rim)
    lum = shade * texture
    colour = np.asarray(b.colour, dtype=_F) * lum[..., None]
    if b.units:
        _draw_units(colour, b, scene, sun, u, v, size)

    block = img[win.rows, win.cols]
    block += alpha[..., None] * (colour - block)


def _draw_units(
    colour: np.ndarray,
    b: Building,
    scene: RoofScene,
    sun: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    size: int,
) -> None:
    """Rooftop boxes (air conditioning, skylights) with their short shadows, in place."""
    c, s = math.cos(b.angle), math.sin(b.angle)
    shift = _sun_shift(sun)
    shift_u, shift_v = shift[0] * c + shift[1] * s, shift[1] * c - shift[0] * s
    tint = 1.0 - np.asarray(scene.shadow_tint, dtype=_F)
    for uc, vc, hu, hv, height, tone in b.units:
        for du_, dv_, is_shadow in ((shift_u * height, shift_v * height, True), (0.0, 0.0, False)):
            cu = np.clip(_F((hu) * size) - np.abs(u - _F((uc + du_) * size)) + _F(0.5), 0.0, 1.0)
            cv = np.clip(_F((hv) * size) - np.abs(v - _F((vc + dv_) * size)) + _F(0.5), 0.0, 1.0)
            cover = np.minimum(cu, cv)[..., None]
            if is_shadow:
                colour *= 1.0 - cover * tint
            else:
                box = np.clip(np.asarray(b.colour, dtype=_F) * 0.3 + _F(0.45 * tone), 0.0, 1.0)
                colour += cover * (box - colour)


def _disc_cover(
    lobes: tuple[tuple[float, float, float], ...], win: Window, size: int, dx: float, dy: float
) -> np.ndarray:
    cover = None
    for x, y, r in lobes:
        dist = np.sqrt((win.x - _F((x + dx) * size)) ** 2 + (win.y - _F((y + dy) * size)) ** 2)
        c = np.clip(_F(r * size) - dist + _F(0.5), 0.0, 1.0)
        cover = c if cover is None else np.maximum(cover, c)
    return cover


def _lobe_box(tree: Tree, dx: float, dy: float, size: int) -> np.ndarray:
    pts = np.array(
        [
            (x + dx + sx * r, y + dy + sy * r)
            for x, y, r in tree.lobes
            for sx in (-1, 1)
            for sy in (-1, 1)
        ]
    )
    return pts * size


def _tree_shadow(shade: np.ndarray, tree: Tree, sun: np.ndarray, size: int) -> None:
    dx, dy = _sun_shift(sun) * tree.height
    win = window(_lobe_box(tree, dx, dy, size), size)
    if win is None:
        return
    cover = _disc_cover(tree.lobes, win, size, dx, dy)
    np.maximum(shade[win.rows, win.cols], cover, out=shade[win.rows, win.cols])


def _draw_tree(
    img: np.ndarray,
    tree: Tree,
    scene: RoofScene,
    sun: np.ndarray,
    size: int,
    rng: np.random.Generator,
) -> None:
    win = window(_lobe_box(tree, 0.0, 0.0, size), size)
    if win is None:
        return
    cover = _disc_cover(tree.lobes, win, size, 0.0, 0.0)
    # A crown is lit like a sphere: bright towards the sun, dark away from it.
    x0, y0, r0 = tree.lobes[0]
    radius = _F(1.3 * r0 * size)
    rx = (win.x - _F(x0 * size)) / radius
    ry = (win.y - _F(y0 * size)) / radius
    nz = np.sqrt(np.clip(1.0 - rx * rx - ry * ry, 0.05, 1.0))
    lambert = np.maximum(rx * _F(sun[0]) + ry * _F(sun[1]) + nz * _F(sun[2]), 0.0)
    amb = _F(scene.ambient)
    shade = (amb + (1 - amb) * lambert) / _F(amb + (1 - amb) * sun[2])
    leaves = 1.0 + _F(0.18) * rng.standard_normal(cover.shape, dtype=_F)
    colour = np.asarray(tree.colour, dtype=_F) * (shade * leaves)[..., None]
    block = img[win.rows, win.cols]
    block += cover[..., None] * (colour - block)


def _camera(img: np.ndarray, scene: RoofScene, size: int, rng: np.random.Generator) -> np.ndarray:
    """Colour response, optics blur, sensor noise, 8-bit quantisation and JPEG."""
    fx = scene.effects
    # Contrast, white balance and saturation are all linear: fold them into one 3x3 matrix.
    grey = np.full((3, 3), 1.0 / 3.0)
    colour = (1.0 - fx.saturation) * grey + fx.saturation * np.eye(3)  # acts on row vectors
    matrix = (fx.contrast * np.diag(fx.gains)) @ colour
    offset = ((0.5 - 0.5 * fx.contrast + fx.brightness) * np.asarray(fx.gains)) @ colour
    img = img.reshape(-1, 3) @ matrix.astype(_F) + offset.astype(_F)
    img = img.reshape(size, size, 3)
    img = gaussian_blur(img, fx.blur_sigma * size / 64)
    if fx.noise_sigma > 0:
        img += _F(fx.noise_sigma) * rng.standard_normal(img.shape, dtype=_F)
    out = np.clip(img * _F(255.0) + _F(0.5), 0.0, 255.0).astype(np.uint8)
    if fx.jpeg_quality:
        out = jpeg_roundtrip(out, fx.jpeg_quality)
    return out
