"""Tests for course_utils/roofs: the synthetic roof generator, its Dataset and the folder loaders."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from course_utils.roofs import (
    ROOF_CLASSES,
    RenderConfig,
    RoofDataset,
    generate_roofs,
    load_roof_folder,
    load_roofs,
    render_roof,
    render_scene,
    roof_plane_map,
    sample_scene,
    to_chw_float,
    write_roof_imagefolder,
)

CLEAN_ROTATED = RenderConfig.clean().replace(max_rotation_deg=90.0)


def _clean_render(roof_type: str, seed: int, size: int = 64, config: RenderConfig = CLEAN_ROTATED):
    rng = np.random.default_rng(seed)
    scene = sample_scene(roof_type, rng, config)
    return scene, render_scene(scene, size, rng)


def _interior(scene, size: int, margin: int = 2) -> np.ndarray:
    """Pixels of the labelled roof whose (2 * margin + 1)^2 neighbourhood lies on the roof."""
    on_roof = roof_plane_map(scene, size) > 0
    padded = np.pad(on_roof, margin)
    out = np.ones_like(on_roof)
    for dy in range(2 * margin + 1):
        for dx in range(2 * margin + 1):
            out &= padded[dy : dy + size, dx : dx + size]
    return out


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("roof_type", ROOF_CLASSES)
def test_render_roof_is_deterministic_for_a_seed(roof_type):
    """The same seed gives the same image, a Generator gives the same image as its seed, and
    another seed gives another image."""
    a = render_roof(roof_type, 123)
    assert np.array_equal(a, render_roof(roof_type, 123))
    assert np.array_equal(a, render_roof(roof_type, np.random.default_rng(123)))
    assert not np.array_equal(a, render_roof(roof_type, 124))


@pytest.mark.parametrize("size", [16, 48, 64, 100, 128])
def test_render_roof_shape_dtype_and_range(size):
    """An image is (size, size, 3) uint8 and not blank, for sizes other than 64 too."""
    img = render_roof("hipped", 7, size)
    assert img.shape == (size, size, 3)
    assert img.dtype == np.uint8
    assert img.std() > 5, "an aerial image should have some contrast"
    assert img.min() < 128 < img.max()


def test_render_roof_accepts_a_label_index_and_rejects_unknown_types():
    """roof_type may be the label index; an unknown name or a tiny size raise ValueError."""
    assert np.array_equal(render_roof(1, 5), render_roof("gabled", 5))
    with pytest.raises(ValueError, match="roof_type"):
        render_roof("mansard", 5)
    with pytest.raises(ValueError, match="size"):
        render_roof("flat", 5, size=8)


def test_scene_does_not_depend_on_the_size():
    """A clean 128-pixel render, averaged 2 x 2, matches the 64-pixel render of the same seed."""
    for seed in range(6):
        small = render_roof(ROOF_CLASSES[seed % 3], seed, 64, config=CLEAN_ROTATED).astype(float)
        large = render_roof(ROOF_CLASSES[seed % 3], seed, 128, config=CLEAN_ROTATED).astype(float)
        pooled = large.reshape(64, 2, 64, 2, 3).mean(axis=(1, 3))
        assert np.abs(pooled - small).mean() < 2.0, f"seed {seed}"


@pytest.mark.parametrize(
    ("roof_type", "planes"), [("flat", {1}), ("gabled", {2}), ("hipped", {3, 4})]
)
def test_clean_roofs_show_one_shade_per_plane(roof_type, planes):
    """Without texture or camera effects, a flat roof shows one colour, a gabled roof two and a
    hipped roof four (three when the sun lights two planes alike), as Lambert shading says."""
    for seed in range(8):
        scene, img = _clean_render(roof_type, seed)
        inner = _interior(scene, 64)
        plane = roof_plane_map(scene, 64)
        # Pixels two away from every plane boundary, so anti-aliased edges do not count.
        colours = {
            tuple(img[r, c])
            for r, c in zip(*np.nonzero(inner), strict=True)
            if len(set(plane[max(r - 2, 0) : r + 3, max(c - 2, 0) : c + 3].ravel())) == 1
        }
        assert len(colours) in planes, f"seed {seed}: {len(colours)} colours"
        assert np.unique(plane[plane > 0]).size == max(planes) if roof_type != "hipped" else True


def _orientation_coherence(img: np.ndarray, mask: np.ndarray) -> float | None:
    """|mean(exp(2i theta))| of the gradient orientations of the strong edges inside ``mask``:
    1 when all edges are parallel, near 0 when they run in balanced directions."""
    lum = img.astype(float).mean(axis=2)
    gy, gx = np.gradient(lum)
    strength = np.hypot(gx, gy)
    strong = mask & (strength > 4.0)
    if strong.sum() < 10:
        return None  # the sun lights the planes alike: no ridge is visible
    theta = np.arctan2(gy[strong], gx[strong])
    weights = strength[strong]
    return float(np.abs(np.sum(weights * np.exp(2j * theta))) / weights.sum())


def test_gabled_roofs_have_one_dominant_ridge_direction():
    """Inside the roof, a gabled image's edges all run one way (the ridge); a hipped image's run
    along the ridge and the four hips, so their orientations disagree."""
    coherence = {"gabled": [], "hipped": []}
    for roof_type in coherence:
        for seed in range(30):
            scene, img = _clean_render(roof_type, seed)
            c = _orientation_coherence(img, _interior(scene, 64))
            if c is not None:
                coherence[roof_type].append(c)
    assert len(coherence["gabled"]) >= 15 and len(coherence["hipped"]) >= 15
    gabled, hipped = np.array(coherence["gabled"]), np.array(coherence["hipped"])
    assert np.median(gabled) > 0.9 and np.mean(gabled > 0.85) > 0.9
    assert np.median(hipped) < 0.7 and np.mean(hipped > 0.85) < 0.3


def test_default_images_are_cluttered_and_varied():
    """The calibrated default varies what the clean preset fixes: orientation, ground colour and
    artefacts, so that pixels alone do not give the class away."""
    X, _ = generate_roofs(30, 3)
    assert X.reshape(30, -1).std(axis=0).mean() > 25, "images should differ a lot pixel by pixel"
    angles = [sample_scene("gabled", np.random.default_rng(s)).main.angle for s in range(40)]
    assert np.ptp(angles) > 2.5, "orientations should cover (almost) every direction"


# --------------------------------------------------------------------------------------------
# Batches and datasets
# --------------------------------------------------------------------------------------------


def test_generate_roofs_shapes_dtypes_and_balance():
    """X is (n, size, size, 3) uint8, y int64 cycling through the classes; any prefix is
    balanced to within one image."""
    X, y = generate_roofs(10, 0, size=40)
    assert X.shape == (10, 40, 40, 3) and X.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    counts = np.bincount(y, minlength=3)
    assert counts.max() - counts.min() <= 1


def test_generate_roofs_image_depends_only_on_seed_and_index():
    """A chunk generated with start=k equals the same images inside a longer run; the seed and
    the split change every image."""
    X, y = generate_roofs(9, 11)
    X_tail, y_tail = generate_roofs(4, 11, start=5)
    assert np.array_equal(X[5:], X_tail) and np.array_equal(y[5:], y_tail)
    assert np.array_equal(generate_roofs(3, 11)[0], X[:3])
    other_seed, _ = generate_roofs(9, 12)
    other_split, _ = generate_roofs(9, 11, split="test")
    for other in (other_seed, other_split):
        assert all(not np.array_equal(a, b) for a, b in zip(X, other, strict=True))


def test_generate_roofs_unbalanced_and_class_subsets():
    """balanced=False draws labels at random (all classes appear, deterministically); a class
    subset relabels 0..k-1 in the order given."""
    _, y = generate_roofs(60, 2, size=16, balanced=False)
    assert np.array_equal(y, generate_roofs(60, 2, size=16, balanced=False)[1])
    assert set(y.tolist()) == {0, 1, 2}
    assert np.bincount(y).max() - np.bincount(y).min() > 1 or len(y) < 6
    X2, y2 = generate_roofs(4, 2, classes=("hipped", "flat"))
    assert y2.tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="classes"):
        generate_roofs(3, 0, classes=("flat", "dome"))


def test_roof_dataset_items_transforms_and_arrays():
    """Items are float (3, H, W) tensors in [0, 1] with int labels; the transform is applied;
    with_transform shares the images; arrays() gives the untransformed float layout."""
    X, y = generate_roofs(6, 1, size=32)
    ds = RoofDataset(X, y)
    x0, y0 = ds[0]
    assert x0.shape == (3, 32, 32) and x0.dtype == torch.float32 and y0 == 0
    assert torch.equal(x0, torch.from_numpy(to_chw_float(X[:1])[0]))
    assert float(x0.min()) >= 0.0 and float(x0.max()) <= 1.0
    flipped = ds.with_transform(lambda t: t.flip(-1))
    assert flipped.images is ds.images
    assert torch.equal(flipped[2][0], ds[2][0].flip(-1))
    assert ds.classes == list(ROOF_CLASSES) and ds.class_to_idx["hipped"] == 2
    assert ds.targets == y.tolist() and len(ds) == 6
    A, b = ds.arrays()
    assert A.shape == (6, 3, 32, 32) and A.dtype == np.float32 and np.array_equal(b, y)
    with pytest.raises(ValueError):
        RoofDataset(X.astype(np.float32), y)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert batch[0].shape == (4, 3, 32, 32) and batch[1].dtype == torch.int64


def test_load_roofs_synthetic_splits():
    """Synthetic splits have the requested sizes in the load_mnist layout, train is exactly
    generate_roofs(split="train"), and the splits share no image."""
    (Xtr, ytr), (Xva, yva), (Xte, yte) = load_roofs(n_train=6, n_val=3, n_test=3, size=24, seed=4)
    assert Xtr.shape == (6, 3, 24, 24) and Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert len(Xva) == 3 and len(Xte) == 3
    assert np.array_equal(Xtr, to_chw_float(generate_roofs(6, 4, 24)[0]))
    assert not np.array_equal(Xtr[:3], Xva) and not np.array_equal(Xva, Xte)
    train, val, test = load_roofs(
        n_train=3,
        n_val=3,
        n_test=3,
        size=24,
        seed=4,
        as_dataset=True,
        eval_transform=lambda t: t * 0,
    )
    assert isinstance(train, RoofDataset) and len(test) == 3
    assert float(val[0][0].abs().sum()) == 0.0 and float(train[0][0].sum()) > 0


# --------------------------------------------------------------------------------------------
# Folders on disk
# --------------------------------------------------------------------------------------------


def test_write_and_read_back_an_imagefolder(tmp_path):
    """write_roof_imagefolder writes root/{train,val,test}/{class}/*.png, and reading it back
    gives exactly the generated images and labels (PNG is lossless)."""
    root = write_roof_imagefolder(tmp_path / "roofs", 6, 3, 0, seed=9, size=32)
    assert sorted(p.name for p in root.iterdir()) == ["train", "val"]
    assert sorted(p.name for p in (root / "train").iterdir()) == list(ROOF_CLASSES)
    assert len(list((root / "train" / "gabled").glob("*.png"))) == 2
    found = load_roof_folder(root, size=32)
    assert set(found) == {"train", "val"}
    X, y = generate_roofs(6, 9, 32)
    order = np.argsort(y, kind="stable")  # the folder is read class by class
    assert np.array_equal(found["train"][0], X[order]) and np.array_equal(
        found["train"][1], y[order]
    )
    assert len(found["val"][0]) == 3


def _save(path, size, mode="RGB", fmt="PNG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = {"RGB": (200, 30, 40), "RGBA": (10, 200, 40, 255), "L": 128}[mode]
    Image.new(mode, size, colour).save(path, format=fmt)


def _fake_flat_folder(root, per_class=5):
    for k, name in enumerate(ROOF_CLASSES):
        for i in range(per_class):
            mode = ("RGB", "RGBA", "L")[(k + i) % 3]
            fmt = "JPEG" if mode == "L" else "PNG"
            _save(
                root / name / f"img{i}.{'jpg' if fmt == 'JPEG' else 'png'}",
                (90 + 7 * i, 60 + 5 * k),
                mode,
                fmt,
            )
    (root / "README.txt").write_text("not an image")
    (root / "flat" / "notes.txt").write_text("not an image either")


def test_real_folder_flat_layout(tmp_path):
    """Class folders directly under root load as one pool, any size and mode resized to RGB
    size x size; load_roofs carves stratified val and test splits out of it without overlap."""
    _fake_flat_folder(tmp_path, per_class=10)
    found = load_roof_folder(tmp_path, size=20)
    X, y = found["all"]
    assert set(found) == {"all"}
    assert X.shape == (30, 20, 20, 3) and X.dtype == np.uint8
    assert np.bincount(y).tolist() == [10, 10, 10]
    splits = load_roofs(tmp_path, size=20, val_fraction=0.2, test_fraction=0.2, seed=1)
    sizes = [len(s[1]) for s in splits]
    assert sizes == [18, 6, 6]
    for _, labels in splits:
        assert np.bincount(labels, minlength=3).min() >= 2  # stratified


def test_real_folder_split_layout_with_alias_names(tmp_path):
    """training/ and Validation/ split folders with capitalised class folders are recognised;
    the missing test split is carved out of training."""
    for split, n in (("training", 8), ("Validation", 2)):
        for name in ("Flat", "gabled", "HIPPED"):
            for i in range(n):
                _save(tmp_path / split / name / f"{i}.png", (50, 50))
    found = load_roof_folder(tmp_path, size=16)
    assert set(found) == {"train", "val"}
    assert len(found["train"][1]) == 24 and len(found["val"][1]) == 6
    (Xtr, ytr), (Xva, yva), (Xte, yte) = load_roofs(tmp_path, size=16, test_fraction=0.25)
    assert len(yva) == 6 and len(yte) == 6 and len(ytr) == 18
    assert Xtr.shape[1:] == (3, 16, 16)


def test_bad_folder_structure_error_lists_found_and_expected(tmp_path):
    """A folder in neither layout raises ValueError naming what it found and what it expected."""
    (tmp_path / "roof_pictures").mkdir()
    (tmp_path / "labels.csv").write_text("a,b")
    with pytest.raises(ValueError) as err:
        load_roof_folder(tmp_path)
    message = str(err.value)
    for expected in (
        "flat/",
        "gabled/",
        "hipped/",
        "train/",
        "val/",
        "roof_pictures/",
        "labels.csv",
    ):
        assert expected in message, f"{expected!r} missing from: {message}"


def test_split_folder_missing_a_class_is_reported(tmp_path):
    """A split folder without one of the class folders raises ValueError naming the split, the
    missing class and what the split holds."""
    for name in ("flat", "gabled", "domes"):
        _save(tmp_path / "train" / name / "a.png", (30, 30))
    with pytest.raises(ValueError) as err:
        load_roof_folder(tmp_path)
    message = str(err.value)
    assert "train/" in message and "hipped/" in message and "domes/" in message


def test_an_empty_class_folder_in_a_split_is_reported_with_its_path(tmp_path):
    """val/hipped/ without images would give a validation split with no hipped roof: a warning
    names the folder, and the images that are there still load."""
    for split in ("train", "val"):
        for name in ROOF_CLASSES:
            (tmp_path / split / name).mkdir(parents=True)
            if not (split == "val" and name == "hipped"):
                _save(tmp_path / split / name / "a.png", (30, 30))
    with pytest.warns(UserWarning, match=r"no readable image in .*val/hipped"):
        found = load_roof_folder(tmp_path, size=8)
    assert np.bincount(found["val"][1], minlength=3).tolist() == [1, 1, 0]
    assert len(found["train"][1]) == 3


def test_partial_class_folders_and_missing_root_are_reported(tmp_path):
    """Only some class folders directly under root is an error naming the missing one; a root
    that does not exist raises FileNotFoundError; class folders without images raise too."""
    _save(tmp_path / "a" / "flat" / "x.png", (10, 10))
    _save(tmp_path / "a" / "gabled" / "x.png", (10, 10))
    with pytest.raises(ValueError, match="hipped/"):
        load_roof_folder(tmp_path / "a")
    with pytest.raises(FileNotFoundError):
        load_roof_folder(tmp_path / "nowhere")
    for name in ROOF_CLASSES:
        (tmp_path / "empty" / name).mkdir(parents=True)
    with pytest.raises(ValueError, match="no images"):
        load_roof_folder(tmp_path / "empty")


def test_unreadable_images_are_skipped_with_a_warning(tmp_path):
    """A corrupt file with an image extension is skipped with a warning naming it."""
    _fake_flat_folder(tmp_path, per_class=2)
    (tmp_path / "hipped" / "broken.png").write_bytes(b"not a png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, y = load_roof_folder(tmp_path, size=8)["all"]
    assert len(y) == 6
    assert any("broken.png" in str(w.message) for w in caught)
