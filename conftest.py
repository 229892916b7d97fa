"""Repository-wide pytest setup: the environment test kernels inherit, and a notebook marker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before any test or kernel starts: kernels inherit the environment.
os.environ.setdefault("MPLBACKEND", "Agg")
# The course's CPU workloads are small: one thread per process is fastest, and NumPy's and torch's
# thread pools spinning against each other on 2 cores made notebook 01 six times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# nbval reads a cell's messages only after the cell has ended, and ZeroMQ drops what overflows
# its queues (1,000 messages a side by default), the final "idle" among them; nbval then fails
# the cell with "Timeout of 5 seconds exceeded waiting for output" (nbval issues #136, #231).
# A tqdm widget bar sends 3 messages per refresh, 10 refreshes a second: notebook 05's CNN cell
# sent 1,260 in 67 s and failed once in CI. With one refresh every 5 s (tqdm reads TQDM_*
# defaults from the environment) it sends 136.
os.environ.setdefault("TQDM_MININTERVAL", "5")
# Reference runs go to the repository's own cache (git ignores it), never to the user's cache
# folder: autograder.reference.default_cache reads this.
os.environ["AUTOGRADER_REFERENCE_CACHE"] = str(Path(__file__).parent / ".autograder" / "reference")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
