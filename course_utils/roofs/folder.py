"""Roof images on disk: writing a synthetic ImageFolder tree and reading a user's real one.

Two layouts are understood (class folder names are matched case-insensitively)::

    root/flat/*.png  root/gabled/*.png  root/hipped/*.png            # one pool of images

    root/train/{flat,gabled,hipped}/*.jpg  root/val/...  root/test/...  # split folders

Split folders may also be called ``training``, ``validation``/``valid``/``dev`` and
``testing``; any of them may be absent. This is the layout of torchvision's ImageFolder and of
the BRAILS roof-type data the original workshop used.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .scene import ROOF_CLASSES, RenderConfig
from .synthetic import SPLITS, _check_classes, generate_roofs

__all__ = ["IMAGE_EXTENSIONS", "SPLIT_ALIASES", "load_roof_folder", "write_roof_imagefolder"]

#: File name endings read as images (lower case).
IMAGE_EXTENSIONS: tuple[str, ...] = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
)

#: Folder names accepted for each split (lower case).
SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "train": ("train", "training", "trn"),
    "val": ("val", "valid", "validation", "dev"),
    "test": ("test", "testing", "tst"),
}


def write_roof_imagefolder(
    root: str | Path,
    n_train: int,
    n_val: int,
    n_test: int,
    seed: int,
    size: int = 64,
    *,
    classes: Sequence[str] = ROOF_CLASSES,
    config: RenderConfig | None = None,
) -> Path:
    """Writes synthetic images as ``root/{train,val,test}/{flat,gabled,hipped}/*.png``.

    The images are those of ``generate_roofs(n, seed, size, classes, split=...)``; file names
    carry the generator index (``000042.png``), so the folder sorts in generation order. A
    split with zero images gets no folder.

    Returns:
        ``root`` as a Path.
    """
    from PIL import Image

    classes = _check_classes(classes)
    root = Path(root)
    for split, n in zip(SPLITS, (n_train, n_val, n_test), strict=True):
        if n <= 0:
            continue
        for name in classes:
            (root / split / name).mkdir(parents=True, exist_ok=True)
        X, y = generate_roofs(n, seed, size, classes, split=split, config=config)
        for i, (image, label) in enumerate(zip(X, y, strict=True)):
            Image.fromarray(image).save(root / split / classes[label] / f"{i:06d}.png")
    return root


def _visible(path: Path) -> bool:
    # Skip what file managers and archives leave behind: .DS_Store, .ipynb_checkpoints, __MACOSX.
    return not path.name.startswith((".", "__"))


def _describe(folder: Path) -> str:
    entries = sorted(p for p in folder.iterdir() if _visible(p))
    dirs = [p.name + "/" for p in entries if p.is_dir()]
    files = [p.name for p in entries if not p.is_dir()]
    shown = ", ".join(dirs[:12]) + (f", ... ({len(dirs)} folders)" if len(dirs) > 12 else "")
    text = f"folders: {shown or 'none'}"
    if files:
        text += f"; files: {', '.join(files[:5])}" + (
            f", ... ({len(files)} files)" if len(files) > 5 else ""
        )
    return text


def _class_dirs(folder: Path, classes: tuple[str, ...]) -> dict[str, Path]:
    by_name = {p.name.lower(): p for p in folder.iterdir() if p.is_dir() and _visible(p)}
    return {c: by_name[c] for c in classes if c in by_name}


def _expected(classes: tuple[str, ...]) -> str:
    names = ", ".join(c + "/" for c in classes)
    return (
        f"expected the class folders {names} directly inside it, or split folders "
        "(train/ or training/, val/ or validation/, test/ or testing/) each containing them"
    )


def _read_images(
    folders: dict[str, Path], classes: tuple[str, ...], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every image under the class folders, centre-cropped to a square and resized to ``size``.

    A class folder without a readable image is reported (with its path) when the others have
    some: the split would silently hold no roof of that class.
    """
    from PIL import Image, UnidentifiedImageError

    images, labels, bad = [], [], []
    for label, name in enumerate(classes):
        files = sorted(
            p
            for p in folders[name].iterdir()
            if p.suffix.lower() in IMAGE_EXTENSIONS and _visible(p)
        )
        for path in files:
            try:
                with Image.open(path) as im:
                    im = im.convert("RGB")
                    w, h = im.size
                    side = min(w, h)
                    # A centre crop keeps roof angles true; squashing would skew them.
                    box = (
                        (w - side) // 2,
                        (h - side) // 2,
                        (w - side) // 2 + side,
                        (h - side) // 2 + side,
                    )
                    im = im.resize((size, size), Image.Resampling.BILINEAR, box=box)
                    images.append(np.asarray(im, dtype=np.uint8))
            except (OSError, UnidentifiedImageError, ValueError):
                bad.append(str(path))
                continue
            labels.append(label)
    if bad:
        warnings.warn(f"skipped {len(bad)} unreadable image(s), e.g. {bad[:3]}", stacklevel=3)
    empty = [str(folders[name]) for k, name in enumerate(classes) if k not in labels]
    if empty and labels:
        warnings.warn(
            f"no readable image in {', '.join(empty)}: this split has no roof of that class, so "
            "a model cannot learn it (or be measured on it) from here. Add images, or leave the "
            "split out.",
            stacklevel=3,
        )
    X = np.stack(images) if images else np.empty((0, size, size, 3), dtype=np.uint8)
    return X, np.asarray(labels, dtype=np.int64)


def load_roof_folder(
    root: str | Path, size: int = 64, *, classes: Sequence[str] = ROOF_CLASSES
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Reads a folder of real roof images in either layout of this module's docstring.

    Images of any size and mode are converted to RGB, centre-cropped to a square and resized to
    ``size`` x ``size``. Unreadable files are skipped with a warning.

    Args:
        root: the folder.
        size: output side in pixels.
        classes: class folder names; label ``k`` means ``classes[k]``.

    Returns:
        ``{"all": (X, y)}`` for class folders directly under ``root``, else ``{split: (X, y)}``
        for each split folder found (keys among ``"train"``, ``"val"``, ``"test"``). X is
        (N, size, size, 3) uint8, y (N,) int64.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
        ValueError: the structure is neither layout, or it holds no images; the message lists
            what was found and what was expected.
    """
    classes = _check_classes(classes)
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"roof image folder {root} does not exist or is not a folder")

    direct = _class_dirs(root, classes)
    if direct:
        if len(direct) < len(classes):
            missing = ", ".join(c + "/" for c in classes if c not in direct)
            raise ValueError(
                f"Cannot read roof images from {root}: {_expected(classes)}. It has some class "
                f"folders but lacks {missing}. Found {_describe(root)}."
            )
        found = {"all": _read_images(direct, classes, size)}
    else:
        found = {}
        unknown = []
        for sub in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
            split = next(
                (s for s, names in SPLIT_ALIASES.items() if sub.name.lower() in names), None
            )
            if split is None:
                unknown.append(sub.name + "/")
                continue
            if split in found:
                raise ValueError(
                    f"Cannot read roof images from {root}: two folders name the {split} split"
                )
            dirs = _class_dirs(sub, classes)
            if len(dirs) < len(classes):
                missing = ", ".join(c + "/" for c in classes if c not in dirs)
                raise ValueError(
                    f"Cannot read roof images from {root}: {_expected(classes)}. The split folder "
                    f"{sub.name}/ lacks {missing}; it has {_describe(sub)}."
                )
            found[split] = _read_images(dirs, classes, size)
        if not found:
            raise ValueError(
                f"Cannot read roof images from {root}: {_expected(classes)}. Found {_describe(root)}."
            )
        if unknown:
            warnings.warn(
                f"ignored folders that name no split in {root}: {', '.join(unknown)}", stacklevel=2
            )

    empty = [k for k, (X, _) in found.items() if len(X) == 0]
    if len(empty) == len(found):
        exts = ", ".join(IMAGE_EXTENSIONS)
        raise ValueError(
            f"Cannot read roof images from {root}: its class folders hold no images ({exts})"
        )
    return found
