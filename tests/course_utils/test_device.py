"""Tests for course_utils/device.py: device choice, seeding, mixed precision, environment info."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils.device import (
    DEVICE_ENV_VAR,
    amp_dtype,
    available_devices,
    describe_environment,
    format_environment,
    get_device,
    in_colab,
    seed_everything,
    start_notebook,
)

REPO = Path(__file__).resolve().parents[2]


def _automatic() -> str:
    if torch.cuda.is_available():
        return "cuda"
    return "mps" if torch.backends.mps.is_available() else "cpu"


def test_automatic_choice_prefers_cuda_then_mps_then_cpu(monkeypatch):
    """Without an override, does get_device pick the best device this machine has?"""
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    assert get_device().type == _automatic()
    assert available_devices()[-1] == "cpu"


def test_env_var_overrides_automatic_choice(monkeypatch):
    """COURSE_DEVICE=cpu makes get_device return the CPU, whatever else is available."""
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")


def test_empty_env_var_counts_as_unset(monkeypatch):
    """An empty COURSE_DEVICE falls back to the automatic choice instead of failing."""
    monkeypatch.setenv(DEVICE_ENV_VAR, "  ")
    assert get_device().type == _automatic()


def test_prefer_argument_wins_over_env_var(monkeypatch):
    """An explicit prefer= is used even when COURSE_DEVICE names a device that does not exist."""
    monkeypatch.setenv(DEVICE_ENV_VAR, "cuda:99")
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("name", ["cuda:99", "mps", "tpu"])
def test_unavailable_env_override_explains_and_says_how_to_unset(monkeypatch, name):
    """A COURSE_DEVICE this machine lacks raises ValueError listing what exists and how to unset."""
    if name == "mps" and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    monkeypatch.setenv(DEVICE_ENV_VAR, name)
    with pytest.raises(ValueError) as info:
        get_device()
    message = str(info.value)
    assert name in message
    assert "'cpu'" in message  # the list of available devices
    assert f"unset {DEVICE_ENV_VAR}" in message


def test_unavailable_prefer_raises_without_env_advice(monkeypatch):
    """A bad prefer= argument is reported as such, without advice about the variable."""
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    with pytest.raises(ValueError, match=r"prefer.*cuda:99") as info:
        get_device("cuda:99")
    assert DEVICE_ENV_VAR not in str(info.value)


def _draws() -> tuple[float, np.ndarray, torch.Tensor]:
    return random.random(), np.random.rand(3), torch.rand(3)  # noqa: NPY002 - the global one


def test_seed_everything_repeats_python_numpy_and_torch_draws():
    """The same seed reproduces random, numpy.random and torch draws; another seed does not."""
    seed_everything(123)
    first = _draws()
    seed_everything(123)
    again = _draws()
    seed_everything(124)
    other = _draws()
    assert first[0] == again[0] and first[0] != other[0]
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    assert torch.equal(first[2], again[2]) and not torch.equal(first[2], other[2])


def test_deterministic_flag_turns_on_deterministic_algorithms(monkeypatch):
    """deterministic=True switches torch to deterministic kernels; the default leaves it alone."""
    before = torch.are_deterministic_algorithms_enabled()
    cudnn_before = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    try:
        seed_everything(0)
        assert torch.are_deterministic_algorithms_enabled() == before
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    finally:
        torch.use_deterministic_algorithms(before)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn_before


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu"), "mps"])
def test_amp_dtype_is_none_off_cuda(device):
    """CPU and MPS train in plain float32: amp_dtype returns None."""
    assert amp_dtype(device) is None


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_amp_dtype_on_cuda_follows_compute_capability():
    """bfloat16 from compute capability 8.0 (Ampere) on, float16 before it."""
    major, _ = torch.cuda.get_device_capability()
    assert amp_dtype("cuda") == (torch.bfloat16 if major >= 8 else torch.float16)


def test_in_colab_detects_the_colab_module(monkeypatch):
    """in_colab is False here and True once google.colab is importable as a module."""
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert in_colab() is False
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert in_colab() is True


def test_describe_environment_keys_values_and_printable_form(monkeypatch):
    """describe_environment gives the documented keys with CPU values, and prints as two lines."""
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    info = describe_environment()
    assert isinstance(info, dict)
    assert set(info) == {
        "python",
        "torch",
        "device",
        "device_name",
        "memory_gib",
        "amp_dtype",
        "colab",
        "cpu_threads",
        "torchvision",
    }
    assert info["device"] == "cpu" and info["torch"] == torch.__version__
    assert info["memory_gib"] is None and info["amp_dtype"] is None
    assert info["cpu_threads"] == torch.get_num_threads()
    text = str(info)
    assert text == format_environment(info)
    assert len(text.splitlines()) == 2
    assert "device cpu" in text and "float32" in text and torch.__version__ in text
    assert f"torchvision {info['torchvision']}" in text


def test_start_notebook_picks_the_device_seeds_and_prints_the_environment(monkeypatch, capsys):
    """The notebooks' setup in one call: the device, a seeded run that repeats, a summary, a clock."""
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    run = start_notebook(seed=7)
    first = _draws()
    again = start_notebook(seed=7)
    second = _draws()
    assert first[0] == second[0] and torch.equal(first[2], second[2])
    np.testing.assert_array_equal(first[1], second[1])
    assert run.device == again.device == torch.device("cpu")
    printed = capsys.readouterr().out
    assert printed.count("device cpu") == 2 and f"torch {torch.__version__}" in printed
    assert 0.0 <= run.elapsed() and again.elapsed() <= run.elapsed()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_describe_environment_on_cuda_reports_memory_and_amp():
    """On CUDA the summary names the GPU, its memory in GiB and the autocast dtype."""
    info = describe_environment("cuda")
    assert info["device_name"] == torch.cuda.get_device_name()
    assert info["memory_gib"] > 1
    assert info["amp_dtype"] in ("bfloat16", "float16")
    assert "GiB" in str(info)


def test_import_has_no_side_effects():
    """Importing the module seeds nothing, sets no cuDNN flag and does not initialise CUDA."""
    code = textwrap.dedent(
        """
        import torch
        seed = torch.initial_seed()
        flags = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
                 torch.are_deterministic_algorithms_enabled())
        import course_utils.device
        assert torch.initial_seed() == seed, "the import seeded torch"
        assert flags == (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
                         torch.are_deterministic_algorithms_enabled()), "the import set flags"
        assert not torch.cuda.is_initialized(), "the import initialised CUDA"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
