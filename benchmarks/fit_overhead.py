"""What does ``course_utils.training.fit`` cost over a bare training loop on the CPU?

    python benchmarks/fit_overhead.py [--repeats 41] [--epochs 1] [--threads 1] [--check]

Both train the same models on the same data: the bundled MNIST training set (4,000 images) held
as float32 tensors, batch size 64, Adam, cross-entropy; an MLP (784-128-10, the cheapest batch,
so the one where per-batch bookkeeping shows most) and LeNet-5. The bare loop is what a careful
person writes by hand (a fresh permutation per epoch, slicing, zero_grad / backward / step, no
metrics); ``fit`` adds its progress bar (disabled), the shape check on the first batch, per-epoch
loss and accuracy and the History. With the same seed both consume the random generator alike,
so they must end with identical weights: the script checks that, which shows that the two
timings are of the same work.

Runs are interleaved in pairs (bare then fit, fit then bare, ...) after one warm-up run of each,
so drift in the machine's speed hits both alike. Each run is timed by the wall clock and by this
process's CPU time; the overhead is the median of the per-pair ratios fit / bare, minus one
(target <= 5 %). CPU time is the verdict: on a shared machine the wall clock also counts the
neighbours. One torch thread by default, as the test suite's kernels use (OMP_NUM_THREADS=1).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from benchmark_models import lenet  # this folder: the script's own sys.path entry
from torch import nn

from course_utils.data import load_mnist
from course_utils.training import fit

TARGET_OVERHEAD = 0.05


def mlp() -> nn.Module:
    """The MLP of notebook 01: 784 -> 128 -> ReLU -> 10."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


MODELS: dict[str, Callable[[], nn.Module]] = {"MLP": mlp, "LeNet": lenet}


def bare_loop(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    num_epochs: int,
    batch_size: int,
    lr: float,
) -> None:
    """The hand-written loop: shuffled slices of in-memory tensors, no bookkeeping at all."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(num_epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(model(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


def with_fit(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    num_epochs: int,
    batch_size: int,
    lr: float,
) -> None:
    """The same training through the course helper."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    fit(model, (X, y), num_epochs=num_epochs, batch_size=batch_size, optimizer=optimizer,
        device="cpu", progress=False)  # fmt: skip


def timed(
    runner: Callable[..., None], template: nn.Module, X: torch.Tensor, y: torch.Tensor, **kw: Any
) -> tuple[tuple[float, float], nn.Module]:
    """(wall, CPU) seconds of one training run from ``template``'s weights, and the trained model."""
    model = copy.deepcopy(template)
    torch.manual_seed(1234)  # the same shuffling for both runners
    wall, cpu = time.perf_counter(), time.process_time()
    runner(model, X, y, **kw)
    return (time.perf_counter() - wall, time.process_time() - cpu), model


def max_weight_difference(a: nn.Module, b: nn.Module) -> float:
    pairs = zip(a.parameters(), b.parameters(), strict=True)
    return max((p - q).abs().max().item() for p, q in pairs)


def measure(
    name: str, template: nn.Module, X: torch.Tensor, y: torch.Tensor, args: argparse.Namespace
) -> dict[str, float]:
    """Prints the model's rows; returns its overhead per clock (median per-pair ratio minus one)."""
    kw = {"num_epochs": args.epochs, "batch_size": args.batch_size, "lr": 1e-3}
    _, bare_model = timed(bare_loop, template, X, y, **kw)  # warm-up, and the weights to compare
    _, fit_model = timed(with_fit, template, X, y, **kw)
    difference = max_weight_difference(bare_model, fit_model)
    times: dict[str, list[tuple[float, float]]] = {"bare": [], "fit": []}
    for rep in range(args.repeats):
        order = [("bare", bare_loop), ("fit", with_fit)]
        for label, runner in order if rep % 2 == 0 else order[::-1]:
            times[label].append(timed(runner, template, X, y, **kw)[0])
    same = "yes" if difference == 0 else f"NO (max difference {difference:.1e})"
    print(f"{name}: same final weights from both loops: {same}")
    overheads = {}
    for k, clock in enumerate(("wall", "CPU")):
        bare = [t[k] for t in times["bare"]]
        fitted = [t[k] for t in times["fit"]]
        ratios = sorted(f / b for f, b in zip(fitted, bare, strict=True))
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        overheads[clock] = statistics.median(ratios) - 1.0
        print(
            f"  {clock:<4}  bare {statistics.median(bare):6.3f} s  fit {statistics.median(fitted):6.3f} s"
            f"  overhead {overheads[clock]:+6.1%}  (pairs: middle half {q1 - 1:+.1%} .. {q3 - 1:+.1%},"
            f" all {ratios[0] - 1:+.1%} .. {ratios[-1] - 1:+.1%})"
        )
    return overheads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=41, help="timed pairs per model")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    (X_train, y_train), _ = load_mnist()
    X, y = torch.from_numpy(X_train), torch.from_numpy(y_train)  # (4000, 1, 28, 28), (4000,)
    print(
        f"fit vs a bare loop on the CPU: {len(X)} MNIST images, {args.epochs} epoch(s) per run,"
        f" batch {args.batch_size}, {args.threads} thread(s), {args.repeats} interleaved pairs,"
        f" torch {torch.__version__}"
    )
    torch.manual_seed(0)
    results = {name: measure(name, build(), X, y, args) for name, build in MODELS.items()}
    # CPU time is what the loop itself costs; wall time also counts whatever else shares the
    # machine, so on a busy machine it is the noisier of the two.
    for clock in ("CPU", "wall"):
        worst = max(r[clock] for r in results.values())
        verdict = "met" if worst <= TARGET_OVERHEAD else "MISSED"
        print(f"largest {clock} overhead {worst:+.1%} (target <= {TARGET_OVERHEAD:.0%}): {verdict}")
    worst_cpu = max(r["CPU"] for r in results.values())
    return 1 if args.check and worst_cpu > TARGET_OVERHEAD else 0


if __name__ == "__main__":
    sys.exit(main())
