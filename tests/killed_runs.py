"""Start the `dglgene` command in a subprocess and SIGKILL it once it has written a
checkpoint: what the resume tests (embed, grn, pretrain) share."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch


def same_threads() -> dict[str, str]:
    """The environment for a `dglgene` subprocess whose results are compared bit for bit
    with this process's: float sums depend on torch's thread count."""
    return {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}


def killed_after(checkpoint: Path, *args: object) -> dict:
    """Run `dglgene ARGS`, SIGKILL it as soon as ``checkpoint`` exists; the checkpoint."""
    run = subprocess.Popen([sys.executable, "-m", "dglgene", *map(str, args)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=same_threads())
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL  # killed mid-run, not finished
    return torch.load(checkpoint)
