"""The training loop every notebook shares: ``fit``, ``evaluate`` and ``predict``.

Data can be an ``(X, y)`` tuple of ndarrays or tensors, a ``torch.utils.data.Dataset`` or a
``DataLoader``. In-memory data (tuples, ``TensorDataset``) is copied to the device once and
batched by slicing a fresh permutation each epoch: no ``DataLoader``, whose per-sample indexing
and collation are slow next to a small model. Running sums of the loss and of the correct
predictions stay on the device and are read back once per epoch, so the GPU never waits for
Python. On CUDA, ``fit`` also uses mixed precision (``amp_dtype``) and channels-last memory for
convolutional models; on the CPU it is a plain float32 loop.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from course_utils.batches import Data, _Batches, _batches
from course_utils.device import amp_dtype, get_device, seed_everything

__all__ = ["History", "evaluate", "fit", "predict"]


@dataclass(repr=False)
class History:
    """Per-epoch metrics of one ``fit`` call; every list has one entry per epoch.

    ``val_loss`` and ``val_acc`` stay empty when ``fit`` had no ``val_data`` (they are not padded
    with NaN), so ``bool(history.val_loss)`` tells whether validation ran. Accuracies are NaN when
    the targets are not class labels (e.g. float targets with ``nn.MSELoss``). ``seconds`` is the
    wall time of the whole epoch, validation included; ``samples_per_sec`` counts training only.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples_per_sec: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict[str, list[float]]:
        """The lists by name (copies), e.g. for ``pandas.DataFrame(history.to_dict())``."""
        return asdict(self)

    def last(self) -> dict[str, float]:
        """The last epoch's metrics; keys without values (no validation) are left out."""
        return {name: values[-1] for name, values in self.to_dict().items() if values}

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(0 epochs)"
        last = ", ".join(
            f"{name}={value:.4g}" for name, value in self.last().items() if name != "epoch"
        )
        return f"History({len(self)} epochs; last: {last})"


def _check_output(output: torch.Tensor, target: torch.Tensor) -> None:
    """Raises ValueError, with the likely fix, when outputs and targets cannot be a loss's pair."""
    if target is None:
        raise ValueError("the data has no targets: pass (X, y), or a Dataset of (x, y) pairs.")
    out, tgt = tuple(output.shape), tuple(target.shape)
    pair = f"model output {out}, targets {tgt}"
    if target.is_floating_point():
        if out != tgt:  # MSELoss would broadcast (N, 1) against (N,) to (N, N) with a warning only
            raise ValueError(f"{pair}: float targets need the output's exact shape; reshape one.")
        return
    if output.ndim != 2:
        fix = "add nn.Flatten() before the last layer" if output.ndim > 2 else "keep the class axis"
        raise ValueError(f"{pair}: a classifier must return logits of shape (N, K); {fix}.")
    if target.ndim != 1:
        fix = "pass class indices y.argmax(1)" if out == tgt else "flatten them with y.reshape(-1)"
        raise ValueError(f"{pair}: class labels must have shape (N,); {fix}.")
    if out[0] != tgt[0]:
        raise ValueError(
            f"{pair}: the batch sizes differ, so a reshape in the model mixes samples "
            "(e.g. x.view(-1, D) with the wrong D); use x.flatten(1) instead."
        )
    if out[1] < 2:
        raise ValueError(f"{pair}: a classifier needs one output per class, not a single column.")
    top = int(target.max())
    if top >= out[1]:
        raise ValueError(
            f"{pair}: labels go up to {top}, so the last layer needs {top + 1} outputs."
        )


def _run_epoch(
    model: nn.Module,
    batches: _Batches,
    loss_fn: Callable,
    autocast: Callable,
    optimizer: torch.optim.Optimizer | None = None,
    scaler: Any = None,
    bar: Any = None,
    check: bool = True,
) -> tuple[float, float, int]:
    """One pass over ``batches``, training if ``optimizer`` is given; ``check`` the first batch.

    Returns:
        (mean loss, accuracy or NaN, number of samples), read from the device once, at the end.
    """
    # Running sums stay on the device and are updated in place: no per-batch sync, no per-batch
    # tensors kept alive for the whole epoch.
    loss_sum = torch.zeros((), device=batches.device)
    correct = torch.zeros((), dtype=torch.int64, device=batches.device)
    n = 0
    classify = False
    for X, y in batches:
        with autocast():
            output = model(X)
            if check and n == 0:
                _check_output(output, y)
            loss = loss_fn(output, y)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:  # float16 gradients underflow without loss scaling
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
        size = y.shape[0]  # not len(y): Tensor.__len__ is a slower Python-level call
        # loss is a batch mean (reduction="mean"): weighting it by the batch size sums samples.
        loss_sum.add_(loss.detach(), alpha=size)
        classify = not y.is_floating_point()
        if classify:
            correct.add_((output.argmax(1) == y).sum())
        n += size
        if bar is not None:
            bar.update()
    if n == 0:
        raise ValueError("the data is empty: no batches to run.")
    total_loss, total_correct = torch.stack([loss_sum, correct.float()]).tolist()  # the one sync
    return total_loss / n, (total_correct / n if classify else math.nan), n


def _autocast(amp: bool | None, device: torch.device) -> tuple[Callable, torch.dtype | None]:
    dtype = None if amp is False else amp_dtype(device)
    if amp and dtype is None:
        warnings.warn(f"amp=True has no effect on {device}: training in float32.", stacklevel=3)
    if dtype is None:
        return contextlib.nullcontext, None
    return functools.partial(torch.autocast, device.type, dtype=dtype), dtype


def _wants_channels_last(model: nn.Module, device: torch.device) -> bool:
    # Tensor cores read NHWC natively; on the CPU the layout change would cost more than it saves.
    return device.type == "cuda" and any(isinstance(m, nn.Conv2d) for m in model.modules())


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode and inference mode for the block, then the model's previous mode again."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def _inference_setup(
    model: nn.Module, data: Any, batch_size: int, device: Any, amp: bool | None
) -> tuple[_Batches, Callable]:
    """Batches and autocast for evaluate/predict, on ``device`` or wherever the model is."""
    if device is None:
        tensor = next(itertools.chain(model.parameters(), model.buffers()), None)
        device = torch.device("cpu") if tensor is None else tensor.device
    device = get_device(device)
    model.to(device)
    autocast, _ = _autocast(amp, device)
    channels_last = _wants_channels_last(model, device)
    return _batches(data, batch_size, device, channels_last=channels_last), autocast


def _place_model(model: nn.Module, device: torch.device, channels_last: bool | None) -> bool:
    """Moves ``model`` to ``device`` (channels-last when asked or, for None, when it pays)."""
    model.to(device)
    if channels_last is None:
        channels_last = _wants_channels_last(model, device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return channels_last


def _progress_bar(train: _Batches, num_epochs: int, progress: bool) -> tqdm:
    """One bar over every training batch; without a length when the data cannot say."""
    try:
        total = num_epochs * len(train)
    except TypeError:  # a DataLoader over an IterableDataset has no length
        total = None
    return tqdm(total=total, unit="batch", disable=not progress, dynamic_ncols=True)


def _step_scheduler(scheduler: Any, monitored_loss: float) -> None:
    """One scheduler step per epoch; ``ReduceLROnPlateau`` watches ``monitored_loss``."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(monitored_loss)
    else:
        scheduler.step()


def _validate(
    model: nn.Module, val: _Batches, loss_fn: Callable, autocast: Callable, check: bool
) -> tuple[float, float]:
    """Validation loss and accuracy, in eval and inference mode (the model's mode restored)."""
    with _eval_mode(model):
        loss, acc, _ = _run_epoch(model, val, loss_fn, autocast, check=check)
    return loss, acc


def _progress_metrics(history: History) -> dict[str, str]:
    """The last epoch's losses and accuracies, formatted for the progress bar."""
    last = history.last()
    return {k: f"{v:.4f}" for k, v in last.items() if "loss" in k or "acc" in k}


def fit(
    model: nn.Module,
    train_data: Data,
    val_data: Data | None = None,
    *,
    num_epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: str | torch.device | None = None,
    amp: bool | None = None,
    channels_last: bool | None = None,
    progress: bool = True,
    shuffle: bool = True,
    seed: int | None = None,
    scheduler: Any = None,
    num_workers: int = 0,
) -> History:
    """Trains ``model`` for ``num_epochs`` passes over ``train_data`` and returns its history.

    Args:
        model: maps a batch X (N, ...) to outputs (N, K) (logits for classification).
        train_data: ``(X, y)`` with X (N, ...) and y (N,) integer labels (or float targets
            shaped like the output), a Dataset of ``(x, y)`` pairs, or a DataLoader.
        val_data: the same kinds, evaluated after every epoch; optional.
        num_epochs: number of passes over ``train_data``.
        batch_size: samples per step (ignored for a DataLoader, which batches itself).
        lr: learning rate of the default optimizer, ``Adam``; ignored if ``optimizer`` is given.
        optimizer: any optimizer over ``model``'s parameters.
        loss_fn: defaults to ``nn.CrossEntropyLoss()``; must average over the batch.
        device: ``None`` means ``get_device()``; the model is moved there.
        amp: mixed precision; ``None`` means on where ``amp_dtype(device)`` offers a dtype
            (CUDA only), ``False`` forces float32. float16 uses a gradient scaler.
        channels_last: ``None`` means on for CUDA models that contain ``nn.Conv2d``.
        progress: show a tqdm bar over the batches with the epoch's metrics.
        shuffle: reshuffle the training data every epoch.
        seed: if given, ``seed_everything(seed)`` first, so shuffling and dropout repeat.
        scheduler: a learning-rate scheduler stepped once per epoch (``ReduceLROnPlateau``
            gets the validation loss, or the training loss without validation).
        num_workers: DataLoader workers for Datasets that are not in memory.

    Returns:
        A ``History`` with one entry per epoch. The model keeps its trained weights, stays on
        ``device`` and gets back the train/eval mode it had before.

    Raises:
        ValueError: the first batch's output and targets do not fit together (shapes named).
    """
    device = get_device(device)
    if seed is not None:
        seed_everything(seed)
    channels_last = _place_model(model, device, channels_last)
    autocast, dtype = _autocast(amp, device)
    scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None
    optimizer = optimizer if optimizer is not None else torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    options = {"device": device, "channels_last": channels_last, "num_workers": num_workers}
    train = _batches(train_data, batch_size, shuffle=shuffle, **options)
    val = None if val_data is None else _batches(val_data, max(batch_size, 256), **options)

    history, was_training = History(), model.training
    bar = _progress_bar(train, num_epochs, progress)
    try:
        for epoch in range(1, num_epochs + 1):
            bar.set_description(f"epoch {epoch}/{num_epochs}")
            start = time.perf_counter()
            model.train()
            loss, acc, n = _run_epoch(
                model, train, loss_fn, autocast, optimizer, scaler, bar, check=epoch == 1
            )
            train_seconds = time.perf_counter() - start
            history.epoch.append(epoch)
            history.train_loss.append(loss)
            history.train_acc.append(acc)
            if val is not None:
                val_loss, val_acc = _validate(model, val, loss_fn, autocast, check=epoch == 1)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
            if scheduler is not None:
                _step_scheduler(scheduler, history.val_loss[-1] if val is not None else loss)
            history.seconds.append(time.perf_counter() - start)
            history.samples_per_sec.append(n / train_seconds)
            bar.set_postfix(_progress_metrics(history))
    finally:
        bar.close()
        model.train(was_training)
    return history


def evaluate(
    model: nn.Module,
    data: Data,
    *,
    batch_size: int = 256,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: str | torch.device | None = None,
    amp: bool | None = None,
) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on labelled ``data`` (same kinds as ``fit``).

    Runs in eval mode under ``torch.inference_mode`` and restores the model's previous mode.
    ``device=None`` means wherever the model's parameters are. Accuracy is NaN for float targets.

    Returns:
        ``{"loss": float, "accuracy": float}``.
    """
    batches, autocast = _inference_setup(model, data, batch_size, device, amp)
    with _eval_mode(model):
        loss, acc, _ = _run_epoch(model, batches, loss_fn or nn.CrossEntropyLoss(), autocast)
    return {"loss": loss, "accuracy": acc}


def predict(
    model: nn.Module,
    data: Data | np.ndarray | torch.Tensor,
    *,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    amp: bool | None = None,
) -> torch.Tensor:
    """The model's outputs for every sample of ``data``, in input order.

    Args:
        data: X alone (N, ...), ``(X, y)``, a Dataset or a DataLoader (labels are ignored; a
            shuffling DataLoader gives its own order).
        device: ``None`` means wherever the model's parameters are.

    Returns:
        float32 outputs (N, K) on the CPU, e.g. logits; ``predict(...).argmax(1)`` gives classes.
    """
    batches, autocast = _inference_setup(model, data, batch_size, device, amp)
    with _eval_mode(model), autocast():
        outputs = [model(X) for X, _ in batches]
    if not outputs:
        raise ValueError("the data is empty: nothing to predict.")
    # Concatenating outside inference mode returns an ordinary tensor the caller may modify.
    return torch.cat(outputs).float().cpu()
