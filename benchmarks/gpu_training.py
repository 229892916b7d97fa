"""GPU training throughput: ``course_utils.training.fit`` against the seed workshop's loop.

    python benchmarks/gpu_training.py [--rounds 3] [--roofs 4096] [--peak-tflops T] [--smoke]

Two workloads, each trained both ways with the same model, optimizer (SGD, momentum 0.9) and
batch size, and the same images:

- LeNet-5 on the bundled MNIST training set (4,000 images, 28x28, batch 64);
- ResNet-18 (torchvision, ``weights=None``, 3 classes) on 64x64 synthetic roofs from
  ``course_utils.roofs`` (batch 128; 1,024 rendered images repeated to ``--roofs``: throughput
  does not depend on the pixels, and rendering costs CPU time).

The two loops:

- seed style, as on the workshop's slides: float32, a ``DataLoader`` over CPU tensors, each batch
  copied to the GPU, and ``running_loss += loss.item()`` after every step (a device sync per batch);
- ``fit``: the data handed over already on the GPU, mixed precision (bfloat16 on compute
  capability 8.0+, float16 with loss scaling before), channels-last memory for the convolutions,
  metrics read back once per epoch.

Each workload runs ``--rounds`` rounds after one warm-up epoch per loop; rounds alternate which
loop goes first; the printed ratio is the median over rounds of fit's samples/s over the seed
loop's (target >= 3x). For ResNet-18 the script also counts the FLOPs of one training step with
``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix products, forward and
backward) and reports the achieved TFLOP/s of the ``fit`` run against the GPU's dense bf16 peak
(a table of common GPUs; ``--peak-tflops`` for others).

Without CUDA it prints why and exits 0. ``--smoke`` runs tiny sizes on whatever device there is
(CPU included) to check that the script works; its numbers are not measurements.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from benchmark_models import lenet  # this folder: the script's own sys.path entry
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from course_utils.data import load_mnist
from course_utils.device import amp_dtype
from course_utils.roofs import generate_roofs, to_chw_float
from course_utils.training import fit

TARGET_RATIO = 3.0
UNIQUE_ROOFS = 1024

#: Dense (no sparsity) tensor-core peaks in TFLOP/s from NVIDIA's data sheets, for the dtype
#: ``amp_dtype`` picks: bfloat16 from compute capability 8.0, float16 before. Matched against
#: ``torch.cuda.get_device_name()``; the first matching key wins, so specific names come first.
PEAK_TFLOPS: dict[str, tuple[str, float]] = {
    "H100 PCIe": ("bf16", 756.0),
    "H100": ("bf16", 989.4),  # SXM5 ("NVIDIA H100 80GB HBM3")
    "H200": ("bf16", 989.4),
    "GH200": ("bf16", 989.4),
    "A100": ("bf16", 312.0),
    "L40S": ("bf16", 362.1),
    "L4": ("bf16", 121.0),
    "A10": ("bf16", 125.0),
    "T4": ("fp16", 65.0),
    "V100": ("fp16", 125.0),
}


def resnet18() -> nn.Module:
    import torchvision

    return torchvision.models.resnet18(weights=None, num_classes=3)


def roof_images(n: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(X (n, 3, 64, 64) float32 in [0, 1], y (n,) int64, a description of where they came from)."""
    # Rendering runs on the CPU (a few hundred images/s per core); throughput does not depend
    # on the pixels, so a larger set repeats the first UNIQUE_ROOFS images.
    unique = min(n, UNIQUE_ROOFS)
    start = time.perf_counter()
    images, labels = generate_roofs(unique, seed=0, size=64)
    seconds = time.perf_counter() - start
    repeats = -(-n // unique)  # ceil
    X = torch.from_numpy(to_chw_float(images)).repeat(repeats, 1, 1, 1)[:n]
    y = torch.from_numpy(labels).repeat(repeats)[:n]
    return X, y, f"synthetic roofs ({unique} rendered in {seconds:.1f} s, repeated to {n})"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seed_style_epochs(
    model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer, epochs: int,
    device: torch.device,
) -> float:  # fmt: skip
    """The workshop's loop: float32, batches from a DataLoader, loss.item() after every step."""
    criterion = nn.CrossEntropyLoss()
    model.train()
    running_loss = 0.0
    for _ in range(epochs):
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
    return running_loss


@dataclass
class Workload:
    name: str
    build: Callable[[], nn.Module]
    X: torch.Tensor  # on the CPU, float32
    y: torch.Tensor
    batch_size: int
    epochs: int  # per timed round


def _sgd(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def run(work: Workload, device: torch.device, rounds: int) -> tuple[float, float, float]:
    """Times both loops; returns (seed samples/s, fit samples/s, median per-round ratio)."""
    torch.manual_seed(0)
    seed_model = work.build().to(device)
    torch.manual_seed(0)
    fit_model = work.build()
    seed_opt, fit_opt = _sgd(seed_model), _sgd(fit_model)
    loader = DataLoader(TensorDataset(work.X, work.y), batch_size=work.batch_size, shuffle=True)
    X_dev, y_dev = work.X.to(device), work.y.to(device)  # fit's data lives on the device

    def seed_round(epochs: int) -> float:
        sync(device)
        start = time.perf_counter()
        seed_style_epochs(seed_model, loader, seed_opt, epochs, device)
        sync(device)
        return time.perf_counter() - start

    def fit_round(epochs: int) -> float:
        sync(device)
        start = time.perf_counter()
        fit(fit_model, (X_dev, y_dev), num_epochs=epochs, batch_size=work.batch_size,
            optimizer=fit_opt, device=device, progress=False)  # fmt: skip
        sync(device)
        return time.perf_counter() - start

    seed_round(1)  # warm-up: cuDNN algorithm choice, allocator, lazy CUDA initialisation
    fit_round(1)
    samples = work.epochs * len(work.X)
    seed_rates, fit_rates = [], []
    for r in range(rounds):
        order = [(seed_round, seed_rates), (fit_round, fit_rates)]
        for timer, rates in order if r % 2 == 0 else order[::-1]:
            rates.append(samples / timer(work.epochs))
    ratio = statistics.median(f / s for f, s in zip(fit_rates, seed_rates, strict=True))
    return statistics.median(seed_rates), statistics.median(fit_rates), ratio


def train_step_flops(build: Callable[[], nn.Module], input_shape: tuple[int, ...]) -> float:
    """FLOPs of one forward and backward pass per sample, counted on the meta device (no compute)."""
    batch = 2
    with torch.device("meta"):
        model = build()
        X = torch.empty(batch, *input_shape)
        y = torch.zeros(batch, dtype=torch.int64)
    counter = FlopCounterMode(display=False)
    with counter:
        nn.functional.cross_entropy(model(X), y).backward()
    return counter.get_total_flops() / batch


def peak_tflops(device: torch.device, override: float | None) -> tuple[str, float | None]:
    """(label, TFLOP/s) of the GPU's dense tensor-core peak for the dtype fit trains in."""
    if override is not None:
        return "given with --peak-tflops", override
    if device.type != "cuda":
        return "no GPU", None
    name = torch.cuda.get_device_name(device)
    for key, (dtype, tflops) in PEAK_TFLOPS.items():
        if key in name:
            return f"{name}, dense {dtype} peak", tflops
    return f"{name}: peak unknown (pass --peak-tflops)", None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--roofs", type=int, default=4096, help="roof images for ResNet-18")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the GPU's peak TFLOP/s")
    parser.add_argument("--smoke", action="store_true", help="tiny run on any device (no figures)")
    args = parser.parse_args()

    if not torch.cuda.is_available() and not args.smoke:
        print(
            "gpu_training: skipped, no CUDA device here (torch.cuda.is_available() is False; "
            f"torch {torch.__version__}). Run it on a machine with an NVIDIA GPU."
        )
        return 0
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        print(
            f"device: {props.name} (compute capability {props.major}.{props.minor}, "
            f"{props.total_memory / 2**30:.0f} GiB), torch {torch.__version__}, "
            f"CUDA {torch.version.cuda}, fit's autocast dtype: {amp_dtype(device)}"
        )
    if args.smoke:
        print(f"SMOKE RUN on {device}: tiny sizes, the numbers below are not measurements")

    (X_mnist, y_mnist), _ = load_mnist()
    n_mnist = 128 if args.smoke else len(X_mnist)
    X_roofs, y_roofs, roofs_source = roof_images(16 if args.smoke else args.roofs)
    workloads = [
        Workload("LeNet / MNIST 28x28", lenet, torch.from_numpy(X_mnist[:n_mnist]),
                 torch.from_numpy(y_mnist[:n_mnist]), batch_size=64, epochs=1 if args.smoke else 5),
        Workload("ResNet-18 / roofs 64x64", resnet18, X_roofs, y_roofs,
                 batch_size=8 if args.smoke else 128, epochs=1 if args.smoke else 3),
    ]  # fmt: skip
    print(f"roof images: {len(X_roofs)} {roofs_source}")

    ratios, fit_rates = {}, {}
    print(f"{'workload':<26}{'images':>8}{'seed loop':>14}{'fit':>14}{'fit / seed':>12}")
    for work in workloads:
        seed_rate, fit_rate, ratio = run(work, device, 1 if args.smoke else args.rounds)
        ratios[work.name], fit_rates[work.name] = ratio, fit_rate
        print(
            f"{work.name:<26}{len(work.X):>8}{seed_rate:>10,.0f} i/s{fit_rate:>10,.0f} i/s"
            f"{ratio:>11.2f}x"
        )
    worst = min(ratios.values())
    verdict = "met" if worst >= TARGET_RATIO else "MISSED"
    if args.smoke:
        verdict = "no verdict on a smoke run"
    print(f"smallest speed-up {worst:.2f}x (target >= {TARGET_RATIO:.0f}x): {verdict}")

    flops = train_step_flops(resnet18, (3, 64, 64))
    achieved = flops * fit_rates["ResNet-18 / roofs 64x64"] / 1e12
    label, peak = peak_tflops(device, args.peak_tflops)
    share = f" = {achieved / peak:.1%} of {peak:.0f} TFLOP/s ({label})" if peak else f" ({label})"
    print(
        f"ResNet-18 training step: {flops / 1e9:.2f} GFLOP per 64x64 image (FlopCounterMode, "
        f"forward + backward); fit achieves {achieved:.1f} TFLOP/s{share}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
