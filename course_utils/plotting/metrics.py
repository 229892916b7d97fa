"""Training curves and confusion matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from course_utils.plotting._common import _new_figure, _to_numpy

__all__ = ["confusion_matrix", "plot_confusion_matrix", "plot_history"]


def plot_history(history: Any, *, val_label: str = "val") -> Figure:
    """Loss and accuracy per epoch, training and validation side by side.

    Args:
        history: a ``course_utils.training.History`` or a dict with lists ``train_loss``,
            ``train_acc`` and optionally ``val_loss``, ``val_acc`` and ``epoch``.
        val_label: the legend's name for the evaluation data: ``"test"`` when ``fit`` was
            given the test split, so that the picture does not call it a validation set.

    Returns:
        A Figure with two axes: loss (left) and accuracy (right).
    """
    h: Mapping[str, Sequence[float]] = history.to_dict() if hasattr(history, "to_dict") else history
    epochs = list(h.get("epoch") or range(1, len(h["train_loss"]) + 1))
    fig = _new_figure((10, 3.6))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, metric, title in ((ax_loss, "loss", "loss"), (ax_acc, "acc", "accuracy")):
        for split, style, label in (("train", "o-", "train"), ("val", "s--", val_label)):
            values = h.get(f"{split}_{metric}") or []
            if len(values):
                ax.plot(epochs[: len(values)], values, style, label=label)
        ax.set(xlabel="epoch", title=title)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    fig.tight_layout()
    return fig


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts how often each true class was predicted as each class.

    Args:
        y_true: (N,) integer labels.
        y_pred: (N,) integer predictions, or (N, K) scores whose argmax is taken.
        num_classes: K; ``None`` means one more than the largest label or prediction.

    Returns:
        int64 (K, K) matrix: entry [i, j] counts samples of true class i predicted as j, so rows
        are true classes and the diagonal holds the correct predictions.
    """
    t = _to_numpy(y_true).reshape(-1)
    p = _to_numpy(y_pred)
    p = p.argmax(axis=1) if p.ndim == 2 else p.reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} entries but y_pred has {p.size}.")
    if t.size and not (np.issubdtype(t.dtype, np.integer) and np.issubdtype(p.dtype, np.integer)):
        raise ValueError(f"labels must be integers, got {t.dtype} and {p.dtype}.")
    t, p = t.astype(np.int64), p.astype(np.int64)
    k = int(max(t.max(initial=-1), p.max(initial=-1)) + 1) if num_classes is None else num_classes
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= k):
        raise ValueError(f"labels and predictions must lie in 0..{k - 1}.")
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
) -> Figure:
    """The confusion matrix as a heat map with the count (or row fraction) in every cell.

    Args:
        y_true: (N,) integer labels.
        y_pred: (N,) integer predictions, or (N, K) scores.
        class_names: K names for the axes; also fixes K when some class never occurs.
        normalize: show each row as fractions of its true class (rows sum to 1) instead of counts.

    Returns:
        A Figure with one axes: true class down, predicted class across.
    """
    counts = confusion_matrix(y_true, y_pred, None if class_names is None else len(class_names))
    k = len(counts)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    totals = counts.sum(axis=1, keepdims=True)
    shown = counts / np.maximum(totals, 1) if normalize else counts
    fig = _new_figure((max(3.6, 1.2 + 0.55 * k), max(3.2, 1.0 + 0.55 * k)))
    ax = fig.subplots()
    ax.imshow(shown, cmap="Blues", vmin=0)
    threshold = shown.max() / 2
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(counts[i, j])
            color = "white" if shown[i, j] > threshold else "black"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xticklabels=names,
        yticklabels=names,
        xlabel="predicted class",
        ylabel="true class",
        title=f"accuracy {accuracy:.3f}",
    )
    if k > 5 and max(len(name) for name in names) > 2:
        ax.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    return fig
