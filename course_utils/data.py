"""The course's data: a bundled MNIST subset that works offline, and full MNIST on request.

The bundled subset (``data/mnist_5k.npz``, built by ``data/build_mnist_subset.py``) holds 5,000
MNIST digits with a fixed, stratified split into 4,000 training and 1,000 test images. Every
notebook uses it by default, so nothing is downloaded while a notebook runs. The file is checked
against :data:`BUNDLED_SHA256` the first time it is read in a process.

Example::

    from course_utils.data import load_mnist
    (X_train, y_train), (X_test, y_test) = load_mnist()              # (4000, 1, 28, 28), (4000,)
    (X_train, y_train), (X_test, y_test) = load_mnist(flatten=True)  # (4000, 784), (4000,)
    (X_train, y_train), _ = load_mnist(source="full", download=True)  # 60,000 / 10,000
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

# What notebooks and users call; the bundle's constants and checks (BUNDLED_*, bundled_path,
# verify_bundled, file_sha256) serve data/build_mnist_subset.py and the grader, by name.
__all__ = ["DataError", "DownloadError", "MissingDataError", "load_mnist", "to_tensors"]

#: Name of the bundled file inside the data folder.
BUNDLED_FILENAME = "mnist_5k.npz"

#: sha256 of the committed ``data/mnist_5k.npz``; ``data/build_mnist_subset.py`` prints it.
BUNDLED_SHA256 = "ac838b4fc360e4e768f2fd628d9dcf54f5024b6bc1045e72ef9a0a1b7dcf5b76"

#: The command, run from the repository root, that rebuilds the bundled file.
REBUILD_COMMAND = "python data/build_mnist_subset.py"

#: Environment variable naming the folder that holds the bundled file (default: ``<repo>/data``).
DATA_DIR_ENV = "COURSE_DATA_DIR"

#: Environment variable naming torchvision's root for full MNIST (default below).
MNIST_ROOT_ENV = "COURSE_MNIST_ROOT"

_DEFAULT_MNIST_ROOT = Path("~/.cache/nn-course/mnist")

# The arrays the bundled file must contain (written by data/build_mnist_subset.py).
_BUNDLED_KEYS = ("images", "labels", "train_index", "test_index")

Arrays = tuple[np.ndarray, np.ndarray]


class DataError(ValueError):
    """The course's data is corrupt, missing or cannot be fetched; the message says what to do."""


class MissingDataError(DataError, FileNotFoundError):
    """A data file the course needs is not on disk."""


class DownloadError(DataError, ConnectionError):
    """Full MNIST could not be downloaded (usually: no internet connection)."""


# --------------------------------------------------------------------------------------------
# Locations and integrity
# --------------------------------------------------------------------------------------------


def bundled_path(root: str | os.PathLike[str] | None = None) -> Path:
    """Returns where the bundled subset is expected.

    Args:
        root: folder holding ``mnist_5k.npz``. Default: ``$COURSE_DATA_DIR`` if set, else the
            ``data/`` folder next to the ``course_utils`` package (the repository's own).
    """
    if root is None:
        env = os.environ.get(DATA_DIR_ENV)
        # parents[1] of .../course_utils/data.py is the repository root.
        root = env if env else Path(__file__).resolve().parents[1] / "data"
    return Path(root).expanduser() / BUNDLED_FILENAME


def full_mnist_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Returns torchvision's root folder for full MNIST.

    Args:
        root: explicit folder. Default: ``$COURSE_MNIST_ROOT`` if set, else
            ``~/.cache/nn-course/mnist``.
    """
    if root is None:
        root = os.environ.get(MNIST_ROOT_ENV) or _DEFAULT_MNIST_ROOT
    return Path(root).expanduser()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Returns the hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _read_verified(path: Path) -> bytes:
    """Reads ``path`` and checks its sha256 against :data:`BUNDLED_SHA256`."""
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise MissingDataError(
            f"The course's bundled MNIST subset is missing: no file at {path}.\n"
            f"Restore it with `git checkout -- data/{BUNDLED_FILENAME}`, rebuild it from the "
            f"repository root with `{REBUILD_COMMAND}` (needs pip and an internet connection "
            f"once), or set {DATA_DIR_ENV} to the folder that holds {BUNDLED_FILENAME}."
        ) from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != BUNDLED_SHA256:
        raise DataError(
            f"{path} is corrupt or not the course's file: its sha256 is {digest}, "
            f"expected {BUNDLED_SHA256}.\n"
            f"Restore it with `git checkout -- data/{BUNDLED_FILENAME}` or rebuild it from the "
            f"repository root with `{REBUILD_COMMAND}`."
        )
    return blob


def verify_bundled(path: str | os.PathLike[str] | None = None) -> Path:
    """Checks a bundled file's sha256 against :data:`BUNDLED_SHA256` and returns its path.

    Args:
        path: the file to check; default :func:`bundled_path` ``()``.

    Raises:
        MissingDataError: the file does not exist.
        DataError: its sha256 differs from :data:`BUNDLED_SHA256`.
    """
    path = bundled_path() if path is None else Path(path).expanduser()
    _read_verified(path)
    return path


@functools.lru_cache(maxsize=4)
def _bundled_arrays(path: str) -> dict[str, np.ndarray]:
    """Verifies and loads the bundled file once per process; the arrays come back read-only."""
    blob = _read_verified(Path(path))
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in _BUNDLED_KEYS}
    for array in arrays.values():
        # The cache is shared by every caller: make accidental in-place edits fail loudly.
        array.setflags(write=False)
    return arrays


@functools.lru_cache(maxsize=4)
def _full_arrays(root: str, download: bool) -> tuple[Arrays, Arrays]:
    """Loads full MNIST (uint8 images, int64 labels) through torchvision once per process."""
    from torchvision.datasets import MNIST  # slow import: only when full MNIST is asked for

    try:
        splits = [MNIST(root, train=train, download=download) for train in (True, False)]
    except (RuntimeError, OSError) as error:
        # torchvision reports missing files and failed downloads (after trying every mirror)
        # as RuntimeError; a lost connection may also surface as URLError, an OSError.
        if not download:
            raise MissingDataError(
                f'Full MNIST is not in {root}. Call load_mnist(source="full", download=True) '
                f"to download it (about 12 MB, once), or use the bundled subset, "
                f'load_mnist(source="bundled"), which works offline.'
            ) from error
        raise DownloadError(
            f"Could not download full MNIST into {root}: there seems to be no internet "
            f"connection ({type(error).__name__}: {str(error).strip()}).\n"
            f'The bundled subset works offline: load_mnist(source="bundled") gives 4,000 '
            f"training and 1,000 test images."
        ) from error
    train, test = ((split.data.numpy(), split.targets.numpy().astype(np.int64)) for split in splits)
    for array in (*train, *test):
        array.setflags(write=False)  # shared by every caller, as for the bundled arrays
    return train, test


# --------------------------------------------------------------------------------------------
# Public loaders
# --------------------------------------------------------------------------------------------


def _as_float_images(images: np.ndarray, flatten: bool) -> np.ndarray:
    """uint8 (N, 28, 28) -> a new float32 array in [0, 1], (N, 1, 28, 28) or (N, 784)."""
    X = images.astype(np.float32)  # always a fresh array: callers may modify it freely
    X /= 255.0
    return X.reshape(len(X), -1) if flatten else X[:, None, :, :]


def load_mnist(
    *,
    source: Literal["bundled", "full"] = "bundled",
    flatten: bool = False,
    root: str | os.PathLike[str] | None = None,
    download: bool = False,
) -> tuple[Arrays, Arrays]:
    """Loads MNIST digits as NumPy arrays.

    Args:
        source: ``"bundled"`` (default): the course's fixed 4,000 / 1,000 subset, offline, with
            10 balanced classes (400 training and 100 test images per digit). ``"full"``: the
            original 60,000 / 10,000 MNIST through ``torchvision.datasets.MNIST``.
        flatten: return images as (N, 784) rows instead of (N, 1, 28, 28).
        root: for ``"bundled"``, the folder holding ``mnist_5k.npz`` (see :func:`bundled_path`);
            for ``"full"``, torchvision's root folder (see :func:`full_mnist_root`).
        download: for ``"full"``, download the files when they are not in ``root``. Ignored for
            ``"bundled"``, which ships with the course.

    Returns:
        ``(X_train, y_train), (X_test, y_test)``: X float32 in [0, 1] shaped (N, 1, 28, 28) or
        (N, 784); y int64 labels 0-9 shaped (N,). Fresh arrays on every call.

    Raises:
        MissingDataError: the bundled file, or full MNIST with ``download=False``, is absent.
        DataError: the bundled file is corrupt.
        DownloadError: full MNIST could not be downloaded.
    """
    if source == "bundled":
        arrays = _bundled_arrays(str(bundled_path(root)))
        images, labels = arrays["images"], arrays["labels"]
        splits = [
            (images[index], labels[index].astype(np.int64))
            for index in (arrays["train_index"], arrays["test_index"])
        ]
    elif source == "full":
        splits = [
            (images, labels.copy())
            for images, labels in _full_arrays(str(full_mnist_root(root)), download)
        ]
    else:
        raise ValueError(f"source must be 'bundled' or 'full', got {source!r}.")
    (train_images, y_train), (test_images, y_test) = splits
    return (
        (_as_float_images(train_images, flatten), y_train),
        (_as_float_images(test_images, flatten), y_test),
    )


def to_tensors(
    X: np.ndarray, y: np.ndarray, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Converts arrays from :func:`load_mnist` to a float32 tensor and an int64 label tensor.

    Args:
        X: images, any shape with N first.
        y: labels shaped (N,).
        device: where the tensors go; default the CPU (and then they share memory with X, y
            when the dtypes already match).

    Returns:
        ``(X, y)`` as ``torch.float32`` and ``torch.int64`` tensors.
    """
    import torch

    X_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    y_t = torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))
    if device is not None:
        X_t, y_t = X_t.to(device), y_t.to(device)
    return X_t, y_t
