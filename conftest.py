"""Repository-wide pytest setup: headless plotting and a marker for notebook runs (nbval)."""

from __future__ import annotations

import os

import pytest

# Before any test or kernel starts: kernels inherit the environment.
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
