"""The whole series on this machine: every solution notebook's run time and accuracy, in one table.

    python benchmarks/series.py [ID ...] [--grading-students 2] [--grading-jobs 2]
                                [--skip-grading] [--skip-roofs]

1. Executes each solution notebook (``solutions/<id>/<id>.ipynb``, or the ids given) headless
   with nbclient, one after the other, in its own folder, with ``OPENBLAS_NUM_THREADS=1`` (NumPy
   single-threaded, torch on every core); times each (kernel start included) and reads the
   accuracy it printed.
2. Runs ``benchmarks/grading.py`` (plain sequential nbgrader against ``python -m autograder
   grade --jobs J``) with a small class and collects its throughput ratio.
3. Runs ``benchmarks/roofs_speed.py`` (one core) when it exists and collects its speeds.

Accuracy convention (see benchmarks/README.md): a notebook reports the accuracy of a trained
model with a printed line ``test accuracy: 0.957``, optionally led by the model's name
(``LeNet test accuracy: 0.971``, ``transformer test accuracy: 0.884``); the colon may be ``=`` or
left out, the number is a fraction or a percentage (``95.7%``). The name is what precedes the
words on the line or in the clause (``...; ViT test accuracy 0.955`` names ``ViT``). A line where
other words follow ``test accuracy`` (``test accuracy of the MLP above: 0.95``) is commentary and
is not read. For each name the last such line counts.

Target: the five ordered notebooks together in <= 6 minutes on 2 CPU cores; the optional sixth
(``06_sequence_models``) on its own in about 2 minutes (<= 150 s), in a row of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from autograder.course import REPO_ROOT, assignment_ids, source_notebook

TARGET_SECONDS = 6 * 60
CURRICULUM_SIZE = 5
#: Optional notebooks after the curriculum's five, each with its own budget in seconds.
OPTIONAL_SECONDS = {"06_sequence_models": 150}
BENCHMARKS = Path(__file__).resolve().parent

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_ACCURACY = re.compile(
    r"\btest accuracy[ \t]*[:=]?[ \t]*(?P<value>\d+(?:\.\d+)?)[ \t]*(?P<percent>%)?",
    re.IGNORECASE,
)
# The model's name is what precedes "test accuracy" on its line, back to the start of the line
# or of the clause: "This notebook ran in 84 s; ViT test accuracy 0.955" names "ViT".
_ROOFS_ROW = re.compile(r"^\s*(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", re.MULTILINE)
_CLAUSE_BREAK = re.compile(r"[;,:=!?]|\.\s")


def output_text(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or displayed as text, cell after cell, ANSI codes removed."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                parts.append(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data"):
                parts.append(out.get("data", {}).get("text/plain", ""))
    # A progress bar's carriage returns overwrite a line: keep what was left visible.
    text = "\n".join(parts)
    lines = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]
    return _ANSI.sub("", "\n".join(lines))


def parse_accuracies(text: str) -> dict[str, float]:
    """{model name ("" if none): accuracy as a fraction} from ``test accuracy: X`` lines."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        for match in _ACCURACY.finditer(line):
            value = float(match["value"])
            if match["percent"] or value > 1.0:
                value /= 100.0
            if 0.0 <= value <= 1.0:
                label = _CLAUSE_BREAK.split(line[: match.start()])[-1].strip()
                found[label] = value
    return found


@dataclass
class Row:
    item: str
    seconds: float | None  # wall clock
    result: str
    cpu_seconds: float | None = None  # CPU time of the notebook's kernel


def run_notebook(path: Path, timeout: int) -> Row:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start, cpu_start = time.perf_counter(), _children_cpu()
    status = ""
    try:
        # The kernel's own stderr is only its start-up chatter; cell output comes over ZMQ.
        client.execute(stderr=subprocess.DEVNULL)
    except DeadKernelError:
        status = "KERNEL DIED (out of memory?); "
    except CellTimeoutError:
        status = f"TIMEOUT (a cell ran over {timeout} s); "
    except CellExecutionError as err:
        status = f"ERROR {getattr(err, 'ename', type(err).__name__)}; "
    # The kernel has exited and been reaped by now, so its CPU time is in the children's total.
    seconds, cpu_seconds = time.perf_counter() - start, _children_cpu() - cpu_start
    accuracies = parse_accuracies(output_text(nb))
    if "" in accuracies and accuracies[""] in [v for k, v in accuracies.items() if k]:
        del accuracies[""]  # "LeNet: test accuracy 0.979" repeats what a named line said
    shown = ", ".join(f"{k} {v:.3f}".strip() for k, v in accuracies.items())
    result = status + (f"test accuracy {shown}" if accuracies else "no 'test accuracy:' line")
    return Row(path.parent.name, seconds, result, cpu_seconds)


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished (waited-for) child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_script(args: list[str], timeout: int) -> tuple[float, int, str]:
    """(seconds, exit status, output) of a benchmark script run with this interpreter.

    The output is its stdout, and its stderr too when it failed (warnings stay out otherwise).
    """
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT
        )
        code = done.returncode
        output = done.stdout + (done.stderr if code else "")
    except subprocess.TimeoutExpired as err:
        code = -1
        output = _text(err.stdout) + _text(err.stderr) + f"\n(timed out after {timeout} s)"
    return time.perf_counter() - start, code, output


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else data or ""


def grading_row(students: int, jobs: int, timeout: int) -> Row:
    script = BENCHMARKS / "grading.py"
    seconds, code, output = run_script(
        [str(script), "--students", str(students), "--jobs", str(jobs)], timeout
    )
    print(_indent(output))
    ratio = re.search(r"throughput ratio nbgrader / autograder: ([\d.]+)x", output)
    overhead = re.search(r"overhead per submission over bare execution: ([-\d.]+)", output)
    if code != 0 or not ratio:
        return Row("grader throughput", seconds, f"FAILED (exit {code}), see its output above")
    result = (
        f"nbgrader / autograder {ratio[1]}x with {students} students, --jobs {jobs} (target >= 1.7)"
    )
    if overhead:
        result += f"; overhead {overhead[1]} job-slot s per submission (target <= 2)"
    return Row("grader throughput", seconds, result)


def roofs_row(timeout: int) -> Row:
    script = BENCHMARKS / "roofs_speed.py"
    if not script.is_file():
        return Row("roof generator", None, "benchmarks/roofs_speed.py is not there yet")
    seconds, code, output = run_script([str(script)], timeout)
    print(_indent(output))
    # Its table rows read "<config> <size> <img/s wall> <img/s CPU>".
    rows = _ROOFS_ROW.findall(output)
    if code != 0 or not rows:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        return Row("roof generator", seconds, f"FAILED (exit {code}): {lines[-1:] or ''}")
    speeds = "; ".join(
        f"{size}x{size}{'' if config == 'default' else f' ({config})'}: {cpu} img/s per core"
        f" ({wall} wall)"
        for config, size, wall, cpu in rows
    )
    return Row("roof generator", seconds, speeds)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="assignment ids (default: every solution notebook)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per notebook cell")
    parser.add_argument("--grading-students", type=int, default=2)
    parser.add_argument("--grading-jobs", type=int, default=2)
    parser.add_argument("--skip-grading", action="store_true")
    parser.add_argument("--skip-roofs", action="store_true")
    args = parser.parse_args()

    # Kernels and the scripts below inherit these. NumPy's BLAS gets one thread, so that its
    # pool never spins against torch's; torch keeps every core, as on a student's machine (the
    # test suite gives each kernel one thread instead, which is robust on a busy CI machine but
    # leaves a core idle: notebook 05 took 302 s that way against 209 s with both cores).
    # Headless plotting, and this checkout's packages importable.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
    )
    ids = args.ids or assignment_ids()
    load = os.getloadavg()[0]
    print(
        f"series on {os.cpu_count()} CPU cores, load average {load:.1f} at the start; "
        f"notebooks: {', '.join(ids)}"
    )

    rows = []
    for assignment in ids:
        row = run_notebook(source_notebook(assignment), args.timeout)
        print(f"  {row.item}: {row.seconds:.1f} s, {row.result}", flush=True)
        rows.append(row)
    ordered = [r for r in rows if r.item not in OPTIONAL_SECONDS]
    total = sum(r.seconds or 0.0 for r in ordered)
    total_cpu = sum(r.cpu_seconds or 0.0 for r in ordered)
    if total > TARGET_SECONDS:
        verdict = f"OVER by {total - TARGET_SECONDS:.0f} s"
    elif len(ordered) < CURRICULUM_SIZE:
        verdict = f"{TARGET_SECONDS - total:.0f} s left for the other notebooks"
    else:
        verdict = "within"
    target = f"target: all {CURRICULUM_SIZE} in <= {TARGET_SECONDS} s on 2 cores"
    name = f"notebooks total ({len(ordered)} of {CURRICULUM_SIZE})"
    rows.append(Row(name, total, f"{verdict}; {target}", total_cpu))
    for row in [r for r in rows if r.item in OPTIONAL_SECONDS]:
        budget = OPTIONAL_SECONDS[row.item]
        over = (row.seconds or 0.0) > budget
        verdict = f"OVER by {(row.seconds or 0.0) - budget:.0f} s" if over else "within"
        rows.append(Row(f"{row.item} (optional)", row.seconds, f"{verdict}; target <= {budget} s"))
    if not args.skip_grading:
        rows.append(grading_row(args.grading_students, args.grading_jobs, timeout=3600))
    if not args.skip_roofs:
        rows.append(roofs_row(timeout=1800))

    width = max(len(r.item) for r in rows)
    print(f"\n{'item':<{width}}  {'wall s':>7}  {'CPU s':>7}  result")
    for r in rows:
        wall, cpu = (
            f"{v:7.1f}" if v is not None else f"{'-':>7}" for v in (r.seconds, r.cpu_seconds)
        )
        print(f"{r.item:<{width}}  {wall}  {cpu}  {r.result}")
    print(
        "(wall s: elapsed time, kernel start included; CPU s: the kernel's own CPU time, all"
        " its threads together, so it can exceed the wall time)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
