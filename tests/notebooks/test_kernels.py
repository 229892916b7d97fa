"""Kernels started for notebook runs, by nbval or a reference run (settings in the root conftest.py)."""

from __future__ import annotations

from jupyter_client.manager import start_new_kernel

# Three seconds of a tqdm loop; in a kernel, tqdm.auto draws an ipywidgets bar.
PROGRESS_CELL = """
import time
from tqdm.auto import tqdm
for _ in tqdm(range(300)):
    time.sleep(0.01)
"""


def test_a_progress_bar_sends_few_messages() -> None:
    """Test kernels refresh tqdm bars rarely, so that nbval loses none of a long cell's messages
    (why: the TQDM_MININTERVAL comment in the root conftest.py)."""
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        msg_id = kc.execute(PROGRESS_CELL)
        kinds: list[str] = []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kinds.append(msg["msg_type"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert "error" not in kinds
    # About 20 with one refresh every 5 s; over 100 with tqdm's default of 10 a second.
    assert len(kinds) < 60, f"{len(kinds)} messages from a 3-second progress bar"
