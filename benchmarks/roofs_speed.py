"""How fast does the roof generator render on one CPU core?

Prints images per second for ``generate_roofs`` at 64 x 64 and 128 x 128 (and any sizes given),
with NumPy, BLAS and torch limited to one thread. Both wall-clock and process CPU time are shown:
on a shared machine the CPU-time figure is the one that says what one free core would do.

    PYTHONPATH=$PWD python benchmarks/roofs_speed.py
    PYTHONPATH=$PWD python benchmarks/roofs_speed.py --n 2000 --sizes 32 64 128 256
"""

from __future__ import annotations

import os

# Thread limits must be set before NumPy loads its BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from course_utils.roofs import RenderConfig, generate_roofs  # noqa: E402


def measure(n: int, size: int, config: RenderConfig | None) -> tuple[float, float]:
    """Images per second (wall clock, CPU time) for one ``generate_roofs(n, ...)`` call."""
    generate_roofs(9, 1, size, config=config)  # warm caches and lazy imports
    wall, cpu = time.perf_counter(), time.process_time()
    generate_roofs(n, 0, size, config=config)
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="images per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--clean", action="store_true", help="also time RenderConfig.clean()")
    args = parser.parse_args()
    torch.set_num_threads(1)

    configs = {"default": None, **({"clean": RenderConfig.clean()} if args.clean else {})}
    print(f"{'config':>8} {'size':>6} {'img/s (wall)':>13} {'img/s (cpu)':>12}")
    for name, config in configs.items():
        for size in args.sizes:
            wall, cpu = measure(args.n, size, config)
            print(f"{name:>8} {size:>6} {wall:>13.0f} {cpu:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
