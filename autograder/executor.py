"""Runs one notebook inside the grading sandbox and saves its outputs after every cell.

``python -m autograder.executor OUT --cell-limits S0,S1,... --output-cap BYTES < notebook.ipynb``

``--cell-limits`` gives each cell's time limit in seconds, in the notebook's cell order.

This process and the kernel it starts are the only things a submission touches; the grader
(:mod:`autograder.sandbox`, its :mod:`autograder.watchdog`) watches them from outside for the
notebook's wall-clock and memory limits and kills the whole tree when one is crossed.

The notebook arrives on standard input and is never a file in the sandbox, and this process
makes itself undumpable, so student code cannot read the cells still to come (hidden tests
included) from disk or from this process's memory. ``OUT`` receives only what the run
produced: ``{"status", "message", "cells": {index: {"outputs", "execution_count"}}}``, saved
after every cell, so whatever ran before a kill or a kernel death is still graded. The grader
puts those outputs back into its own copy of the notebook: cell sources and metadata never
come from the sandbox.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
from pathlib import Path
from typing import Any

# Jupyter's jsonschema extras pull in rfc3987_syntax, which compiles a grammar for 3-4 s at
# import, only to check "iri" string formats that notebooks never use. This process starts once
# per submission, so it opts out: jsonschema skips that one format checker when the import fails.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402
from nbformat import NotebookNode  # noqa: E402

__all__ = ["LimitedClient", "main", "run_notebook"]

_TIMEOUT_ENAME = "CellTimeout"
_PROBE_SECONDS = 5


class LimitedClient(NotebookClient):
    """An nbclient that keeps at most ``output_cap`` bytes of output per notebook."""

    def __init__(self, nb: NotebookNode, *, output_cap: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.output_cap = output_cap
        self.output_bytes = 0
        self.capped_cells: set[int] = set()
        self.timed_out = False  # set when the current cell hits the timeout

    async def _async_handle_timeout(
        self, timeout: int, cell: NotebookNode | None = None
    ) -> None | dict[str, Any]:
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(
        self, outs: list[NotebookNode], msg: dict, display_id: str | None, cell_index: int
    ) -> NotebookNode | None:
        size = len(json.dumps(msg.get("content", {}), default=str))
        self.output_bytes += size
        if self.output_bytes <= self.output_cap:
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self.capped_cells:
            self.capped_cells.add(cell_index)
            note = nbformat.v4.new_output(
                "stream",
                name="stdout",
                text=f"\n[output stopped: the notebook printed more than {self.output_cap:,} bytes]\n",
            )
            outs.append(note)
            return note
        return None


def _save(nb: NotebookNode, path: Path, status: str, message: str) -> None:
    cells = {
        str(index): {"outputs": cell.outputs, "execution_count": cell.execution_count}
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"status": status, "message": message, "cells": cells}))
    os.replace(tmp, path)  # atomic: a kill never leaves half a file


def _undumpable() -> None:
    """Keeps same-user processes (the kernel) out of this one's memory and file descriptors."""
    if sys.platform == "linux":
        try:
            ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
        except (OSError, AttributeError):
            pass


def _responsive(client: LimitedClient) -> bool:
    """Does the kernel answer a trivial request after an interrupt (or is it still stuck)?"""
    probe = nbformat.v4.new_code_cell("pass")
    timeout, client.timeout, client.timed_out = client.timeout, _PROBE_SECONDS, False
    first = client.nb.cells[0]  # nbclient stores an executed cell at its index: keep cell 0's
    try:
        client.execute_cell(probe, 0, store_history=False)
    except DeadKernelError:
        return False
    finally:
        client.timeout = timeout
        client.nb.cells[0] = first
    return not client.timed_out


def _timeout_error(seconds: int) -> dict[str, Any]:
    text = f"this cell ran for more than {seconds} s and was interrupted"
    return {"ename": _TIMEOUT_ENAME, "evalue": text, "traceback": [f"{_TIMEOUT_ENAME}: {text}"]}


def _mark_timeout(cell: NotebookNode, seconds: int) -> None:
    # The kernel answers the interrupt with a KeyboardInterrupt traceback, which tells a student
    # nothing; the cell shows the reason instead (nbclient keeps error_on_timeout out of outputs).
    cell.outputs = [
        o for o in cell.outputs if not (o.output_type == "error" and o.ename == "KeyboardInterrupt")
    ]
    cell.outputs.append(nbformat.v4.new_output("error", **_timeout_error(seconds)))


def run_notebook(nb: NotebookNode, dst: Path, *, cell_limits: list[int], output_cap: int) -> str:
    """Executes ``nb`` cell by cell, saving its outputs to ``dst``; returns the final status.

    ``cell_limits[i]`` is cell i's time limit in seconds.
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = LimitedClient(
        nb,
        output_cap=output_cap,
        interrupt_on_timeout=True,
        allow_errors=True,
        shutdown_kernel="immediate",  # nothing left to save: skip the graceful goodbye
        kernel_name="python3",
        resources={"metadata": {"path": str(Path.cwd())}},
    )
    status, message = "ok", ""
    _save(nb, dst, "running", "")
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"#{index}")
            client.timed_out = False
            client.timeout = cell_limits[index]
            client.error_on_timeout = _timeout_error(cell_limits[index])
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                status, message = "crashed", f"the kernel died while running cell {grade_id}"
                break
            if client.timed_out:
                _mark_timeout(cell, cell_limits[index])
                status, message = (
                    "timeout",
                    f"cell {grade_id} ran longer than {cell_limits[index]} s",
                )
                if not _responsive(client):
                    message += " and ignored the interrupt: the kernel was stopped there"
                    break
            _save(nb, dst, "running", message)
    if client.capped_cells and status == "ok":
        message = f"output was cut at {output_cap:,} bytes"
    _save(nb, dst, status, message)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dst", type=Path, help="where the outputs go (JSON)")
    parser.add_argument(
        "--cell-limits",
        type=lambda text: [int(s) for s in text.split(",")],
        required=True,
        help="each cell's time limit in seconds, comma-separated, in cell order",
    )
    parser.add_argument("--output-cap", type=int, required=True)
    args = parser.parse_args(argv)
    _undumpable()
    nb = nbformat.reads(sys.stdin.read(), as_version=4)
    # The kernel inherits no way back to the notebook's text.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if len(args.cell_limits) != len(nb.cells):
        parser.error(f"--cell-limits has {len(args.cell_limits)} values for {len(nb.cells)} cells")
    run_notebook(nb, args.dst, cell_limits=args.cell_limits, output_cap=args.output_cap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
