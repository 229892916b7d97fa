"""Any data ``fit``, ``evaluate`` and ``predict`` accept, as batches already on the device.

In-memory data (``(X, y)`` tuples of ndarrays or tensors, ``TensorDataset``) is copied to the
device once and batched by slicing a fresh permutation each epoch; other Datasets go through a
``DataLoader``, and a given ``DataLoader`` is used as it is, each batch moved when it comes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

__all__ = ["Data"]

#: What ``fit``, ``evaluate`` and ``predict`` accept as data.
Data = tuple[Any, Any] | Dataset | DataLoader


class _Batches:
    """Iterates ``(X, y)`` batches already on the device; ``y`` is None for unlabelled data."""

    def __init__(
        self,
        source: Any,
        device: torch.device,
        channels_last: bool,
        *,
        in_memory: bool,
        batch_size: int = 0,
        shuffle: bool = False,
    ) -> None:
        self.device, self.channels_last, self.in_memory = device, channels_last, in_memory
        self.batch_size, self.shuffle = batch_size, shuffle
        # In-memory data moves to the device once, here, instead of once per batch.
        self.source = self._move(*source) if in_memory else source

    def _move(self, X: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, Any]:
        # float64 arrays (NumPy's default) would clash with float32 weights; int32 labels with
        # CrossEntropyLoss, which wants int64.
        X = X.to(
            self.device, torch.float32 if X.dtype == torch.float64 else None, non_blocking=True
        )
        if self.channels_last and X.ndim == 4:
            X = X.contiguous(memory_format=torch.channels_last)
        if y is not None:
            integer = not y.is_floating_point() and y.dtype not in (torch.int64, torch.bool)
            dtype = torch.int64 if integer else torch.float32 if y.dtype == torch.float64 else None
            y = y.to(self.device, dtype, non_blocking=True)
        return X, y

    def __len__(self) -> int:
        if self.in_memory:
            return math.ceil(len(self.source[0]) / self.batch_size)
        return len(self.source)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, Any]]:
        if not self.in_memory:
            for batch in self.source:
                yield self._move(*_split(batch))
            return
        X, y = self.source
        n, size = len(X), self.batch_size
        if not self.shuffle:
            for start in range(0, n, size):
                yield X[start : start + size], None if y is None else y[start : start + size]
            return
        order = torch.randperm(n).to(X.device, non_blocking=True)
        for start in range(0, n, size):
            idx = order[start : start + size]
            yield X[idx], None if y is None else y[idx]


def _split(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    if isinstance(batch, torch.Tensor):
        return batch, None
    if isinstance(batch, (list, tuple)) and len(batch) in (1, 2):
        return batch[0], (batch[1] if len(batch) == 2 else None)
    raise TypeError(f"expected batches of (inputs, targets), got {type(batch).__name__}.")


def _as_tensor(value: Any) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))


def _batches(
    data: Data,
    batch_size: int,
    device: torch.device,
    *,
    shuffle: bool = False,
    channels_last: bool = False,
    num_workers: int = 0,
) -> _Batches:
    """Wraps any accepted kind of data as device batches (see the module docstring)."""
    common = {"device": device, "channels_last": channels_last}
    if isinstance(data, DataLoader):
        return _Batches(data, in_memory=False, **common)
    if isinstance(data, TensorDataset) and len(data.tensors) in (1, 2):
        tensors = (*data.tensors, None)[:2]
    elif isinstance(data, Dataset):
        loader = DataLoader(
            data,
            batch_size=batch_size,
            shuffle=shuffle,
            num_workers=num_workers,
            pin_memory=device.type == "cuda",
        )
        return _Batches(loader, in_memory=False, **common)
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        tensors = (_as_tensor(data[0]), _as_tensor(data[1]))
    elif isinstance(data, (np.ndarray, torch.Tensor)):
        tensors = (_as_tensor(data), None)
    else:
        raise TypeError(
            f"data must be an (X, y) tuple, a Dataset or a DataLoader, got {type(data).__name__}."
        )
    if tensors[1] is not None and len(tensors[0]) != len(tensors[1]):
        raise ValueError(f"X has {len(tensors[0])} samples but y has {len(tensors[1])}.")
    return _Batches(tensors, in_memory=True, batch_size=batch_size, shuffle=shuffle, **common)
