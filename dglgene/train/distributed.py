"""Data-parallel training on torch.distributed: every rank holds every graph and steps its
share of each step's pairs.

One optimiser step of a run on :math:`W` ranks takes :math:`W` consecutive pairs
:math:`(i_k, j_k)` of the epoch's schedule, and rank :math:`r` computes pair :math:`k` where
:math:`k \\bmod W = r`. With :math:`L_k` the weighted loss of pair :math:`k`, every rank
then holds the same gradient

.. math::
    g = \\frac{1}{m} \\sum_k \\nabla L_k

over the step's :math:`m` pairs (:math:`m = W`, but the epoch's last step may hold fewer),
the sum taken by one all-reduce (a rank that did not touch a parameter, such as another
dataset's own layer or decoder, adds zeros; a parameter no pair touched keeps no gradient,
so that Adam leaves it where it is, as in a one-pair step), and every rank takes the same
Adam step, so the weights stay equal everywhere without being sent. The schedule (the
epoch's order of graphs and each one's partner) comes from the run's seed, the same on
every rank; the draws inside a pair (InfoNCE's genes, sampled negatives) from a generator seeded by
(seed, epoch, position), so a pair's loss does not depend on which rank computes it. A
single process with ``pairs_per_step=W`` (:func:`~dglgene.train.fit.fit`) runs the same
schedule, the reference of the multi-rank run.

Why every rank holds every graph: a step pairs graph :math:`i` with a partner drawn from
all graphs, so a rank needs any graph at any step; a collection of gene graphs is small
(82 graphs of 1,000 genes with 2,000-dimensional features are about 650 MB of features in
float32, held once per process), while the work (encoding, dense decoding) is what grows.

Launch with ``torchrun`` (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT`` set):
:func:`init_from_environment` joins the process group, gloo on CPU and NCCL on GPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

from dglgene.errors import DglgeneInputError

__all__ = ["Ranks", "all_reduce_gradients", "check_same_start", "current_ranks", "gather_rows",
           "init_from_environment", "leave_process_group"]

#: How long a rank waits at the exit barrier for the others (rank 0 may still be writing
#: the outputs of a large collection) before it leaves the group anyway.
EXIT_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class Ranks:
    """This process's place in the run: its rank, the world size and the backend (None
    when it runs alone)."""

    rank: int = 0
    world_size: int = 1
    backend: str | None = None

    @property
    def is_first(self) -> bool:
        """The rank that writes outputs and checkpoints."""
        return self.rank == 0


def current_ranks() -> Ranks:
    """The process group this process is in, or a run alone."""
    if not (dist.is_available() and dist.is_initialized()):
        return Ranks()
    return Ranks(dist.get_rank(), dist.get_world_size(), str(dist.get_backend()))


def check_same_start(start: int, ranks: Ranks) -> None:
    """Refuse a run whose ranks would start at different epochs (a checkpoint that only
    some of them could read: give every rank the same file)."""
    if ranks.world_size == 1:
        return
    every: list[int] = [0] * ranks.world_size
    dist.all_gather_object(every, start)
    if len(set(every)) > 1:
        raise DglgeneInputError(f"the ranks would resume at epochs {every}: the checkpoint "
                                "must be one file that every rank reads (a shared disk)")


def init_from_environment(device: str = "cpu") -> Ranks:
    """Join the process group a launcher such as ``torchrun`` describes in the environment
    (``WORLD_SIZE`` > 1): gloo on CPU, NCCL on GPU (each rank on GPU ``LOCAL_RANK``).
    Without one, or already joined, nothing changes."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        if device == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if device == "cuda" else "gloo")
    return current_ranks()


def leave_process_group(timeout: timedelta = EXIT_TIMEOUT) -> None:
    """Meet the other ranks at a barrier, then leave the process group (at the end of a
    command; nothing when this process is in none).

    A rank that left while another still worked (rank 0 writes the outputs alone) could
    hang in ``destroy_process_group``; so every rank first waits for the others, at most
    ``timeout`` (gloo's ``monitored_barrier`` names a rank that never came), and leaves
    the group whether or not they came.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timeout)
        else:
            dist.barrier()
    finally:
        dist.destroy_process_group()


def all_reduce_gradients(parameters: Iterable[nn.Parameter], ranks: Ranks) -> None:
    """Sum the gradients over the ranks: first which parameters any rank touched (one small
    all-reduce), then those parameters' gradients in one flat all-reduce, where a rank that
    did not touch one adds zeros. A parameter no rank touched keeps no gradient (Adam skips
    it, as in one process) and is not sent: a step touches its pairs' own layers and
    decoders, not the whole collection's."""
    params = [p for p in parameters if p.requires_grad]
    if ranks.world_size == 1 or not params:
        return
    device = params[0].device
    touched = torch.tensor([float(p.grad is not None) for p in params], device=device)
    dist.all_reduce(touched)
    live = [p for p, anyone in zip(params, touched.tolist()) if anyone]
    if not live:
        return
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                      for p in live])
    dist.all_reduce(flat)
    offset = 0
    for p in live:
        p.grad = flat[offset:offset + p.numel()].view_as(p)
        offset += p.numel()


def gather_rows(rows: list[dict], ranks: Ranks) -> list[dict]:
    """Every rank's rows (each with a ``position``), on every rank, in position order (one
    pickled exchange per step: small next to a step's work)."""
    if ranks.world_size > 1:
        every: list[list[dict]] = [[] for _ in range(ranks.world_size)]
        dist.all_gather_object(every, rows)
        rows = [row for part in every for row in part]
    return sorted(rows, key=lambda row: row["position"])
