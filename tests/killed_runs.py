"""Start the `dglgene` command in a subprocess and SIGKILL it once it has written a
checkpoint: what the resume tests (embed, grn, pretrain) share."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import torch


def killed_after(checkpoint: Path, *args: object) -> dict:
    """Run `dglgene ARGS`, SIGKILL it as soon as ``checkpoint`` exists; the checkpoint."""
    run = subprocess.Popen([sys.executable, "-m", "dglgene", *map(str, args)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL  # killed mid-run, not finished
    return torch.load(checkpoint)
