"""Repository-wide pytest setup: headless plotting and a marker for notebook runs (nbval)."""

from __future__ import annotations

import os

import pytest

# Before any test or kernel starts: kernels inherit the environment.
os.environ.setdefault("MPLBACKEND", "Agg")
# The course's CPU workloads are small: one thread per process is fastest, and NumPy's and torch's
# thread pools spinning against each other on 2 cores made notebook 01 six times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# nbval reads a cell's messages only after the cell has ended, and ZeroMQ drops what overflows its
# queues (about 2,000 messages), the final "idle" among them; nbval then fails the cell with
# "Timeout of 5 seconds exceeded waiting for output" (nbval issues #136 and #231). A tqdm widget
# bar sends 3 messages per refresh, 10 refreshes a second: notebook 05's CNN cell sent 1,260 in
# 67 s and failed once in CI. One refresh every 5 s (tqdm reads TQDM_* defaults) keeps it near 50.
os.environ.setdefault("TQDM_MININTERVAL", "5")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
