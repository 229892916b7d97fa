"""Where the notebooks run: device choice, seeding, mixed precision and an environment summary.

Nothing here runs at import: no seeding, no cuDNN flags, no CUDA initialisation. Each notebook
calls ``start_notebook(seed)`` in its setup cell, which does both and prints the environment.
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
import torch

__all__ = [
    "DEVICE_ENV_VAR",
    "EnvironmentInfo",
    "NotebookRun",
    "amp_dtype",
    "available_devices",
    "describe_environment",
    "format_environment",
    "get_device",
    "in_colab",
    "seed_everything",
    "start_notebook",
]

#: Environment variable that overrides the automatic device choice (e.g. ``COURSE_DEVICE=cpu``).
DEVICE_ENV_VAR = "COURSE_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Lists the devices this machine can use, in the order ``get_device`` prefers them.

    Returns:
        e.g. ``["cuda:0", "cuda:1", "cpu"]`` or ``["mps", "cpu"]``; ``"cpu"`` is always last.
    """
    names = (
        [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    )
    if _mps_available():
        names.append("mps")
    return [*names, "cpu"]


def _is_available(device: torch.device) -> bool:
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        index = 0 if device.index is None else device.index
        return torch.cuda.is_available() and index < torch.cuda.device_count()
    if device.type == "mps":
        return _mps_available()
    return False


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """Picks the device to compute on: CUDA if present, then Apple MPS, then the CPU.

    An explicit choice wins over the automatic one: first ``prefer``, then the environment
    variable ``COURSE_DEVICE`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``). An empty
    variable counts as unset.

    Args:
        prefer: a device name or ``torch.device`` to use instead of the automatic choice.

    Returns:
        The chosen ``torch.device``.

    Raises:
        ValueError: the requested device does not exist here; the message lists those that do.
    """
    env_value = os.environ.get(DEVICE_ENV_VAR, "").strip()
    requested = prefer if prefer is not None else (env_value or None)
    if requested is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")

    source = "get_device(prefer=...)" if prefer is not None else f"{DEVICE_ENV_VAR}={env_value!r}"
    how_to_unset = (
        ""
        if prefer is not None
        else f" Unset it to choose automatically: `unset {DEVICE_ENV_VAR}` in a shell, or "
        f"`os.environ.pop({DEVICE_ENV_VAR!r})` in Python."
    )
    try:
        device = torch.device(requested)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"{source}: {requested!r} is not a device name. Use one of "
            f"{available_devices()}.{how_to_unset}"
        ) from err
    if not _is_available(device):
        raise ValueError(
            f"{source} asks for {str(device)!r}, which this machine does not have. Available: "
            f"{available_devices()}.{how_to_unset}"
        )
    return device


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seeds Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device).

    Args:
        seed: any non-negative integer.
        deterministic: also make torch pick deterministic kernels
            (``torch.use_deterministic_algorithms(True)``, cuDNN deterministic, no cuDNN
            benchmarking). This costs speed on GPUs, often 10-50 % for convolutions, and some
            operations without a deterministic kernel then raise an error. ``False`` leaves the
            current setting untouched (it never switches determinism off).
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator is what np.random.* calls use
    torch.manual_seed(seed)  # seeds the CPU and all CUDA generators (lazily, without CUDA init)
    if deterministic:
        # cuBLAS needs a fixed workspace to be reproducible; the variable must be set before the
        # first cuBLAS call, so set it here rather than rely on the user's shell.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def amp_dtype(device: str | torch.device) -> torch.dtype | None:
    """The autocast dtype worth using on ``device``, or ``None`` for plain float32.

    bfloat16 on CUDA GPUs that compute in it natively (compute capability 8.0+, e.g. A100, H100),
    float16 on older CUDA GPUs (e.g. Colab's T4; training then needs a gradient scaler), ``None``
    on CPU and MPS, where autocast brings little and float32 keeps results easy to compare.
    """
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    major, _ = torch.cuda.get_device_capability(device)
    return torch.bfloat16 if major >= 8 else torch.float16


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


class EnvironmentInfo(dict):
    """The dict ``describe_environment`` returns; ``print(info)`` gives a short readable summary."""

    def __str__(self) -> str:
        return format_environment(self)


def describe_environment(device: str | torch.device | None = None) -> EnvironmentInfo:
    """Summarises the runtime, for the top of every notebook and for bug reports.

    Args:
        device: the device to describe; ``None`` means ``get_device()``.

    Returns:
        A dict with keys ``python``, ``torch``, ``device``, ``device_name``, ``memory_gib``
        (total GPU memory, ``None`` off CUDA), ``amp_dtype`` (e.g. ``"bfloat16"`` or ``None``),
        ``colab``, ``cpu_threads`` (torch's intra-op threads) and ``torchvision`` (its version,
        ``None`` when it is not installed). Printing it gives two lines.
    """
    device = get_device() if device is None else torch.device(device)
    dtype = amp_dtype(device)
    memory_gib: float | None = None
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        name = props.name
        memory_gib = round(props.total_memory / 2**30, 1)
    elif device.type == "mps":
        name = "Apple GPU (MPS)"
    else:
        name = platform.processor() or platform.machine() or "CPU"
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": str(device),
        "device_name": name,
        "memory_gib": memory_gib,
        "amp_dtype": None if dtype is None else str(dtype).removeprefix("torch."),
        "colab": in_colab(),
        "cpu_threads": torch.get_num_threads(),
        "torchvision": _version("torchvision"),
    }
    return EnvironmentInfo(info)


def format_environment(info: dict[str, Any]) -> str:
    """Formats ``describe_environment()``'s dict as two short lines."""
    memory = f", {info['memory_gib']} GiB" if info.get("memory_gib") is not None else ""
    amp = info.get("amp_dtype") or "off (float32)"
    where = "Colab" if info.get("colab") else "local"
    vision = f", torchvision {info['torchvision']}" if info.get("torchvision") else ""
    return (
        f"device {info['device']} ({info['device_name']}{memory}), mixed precision: {amp}\n"
        f"python {info['python']}, torch {info['torch']}{vision}, {info['cpu_threads']} CPU threads,"
        f" {where}"
    )


def _version(package: str) -> str | None:
    # The installed version without importing the package (torchvision takes a second to import).
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class NotebookRun:
    """What ``start_notebook`` set up: the device to compute on and when the notebook started."""

    device: torch.device
    started: float  # time.perf_counter() at the start

    def elapsed(self) -> float:
        """Seconds since ``start_notebook``, e.g. for the run time printed at a notebook's end."""
        return time.perf_counter() - self.started


def start_notebook(seed: int = 0, device: str | torch.device | None = None) -> NotebookRun:
    """The setup every notebook starts with: picks the device, seeds everything, says where it runs.

    Args:
        seed: passed to ``seed_everything``, so that a run of the notebook repeats.
        device: passed to ``get_device``; ``None`` picks the best one (or ``COURSE_DEVICE``).

    Returns:
        A ``NotebookRun`` with the chosen ``device`` and a clock for ``elapsed()``.
    """
    run = NotebookRun(get_device(device), time.perf_counter())
    seed_everything(seed)
    print(describe_environment(run.device))
    return run
