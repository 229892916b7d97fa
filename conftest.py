"""Repository-wide pytest setup: headless plotting and a marker for notebook runs (nbval)."""

from __future__ import annotations

import os

import pytest

# Before any test or kernel starts: kernels inherit the environment.
os.environ.setdefault("MPLBACKEND", "Agg")
# The course's CPU workloads are small: one thread per process is fastest, and NumPy's and torch's
# thread pools spinning against each other on 2 cores made notebook 01 six times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
