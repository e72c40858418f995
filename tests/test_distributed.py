"""MuSe-GNN on two gloo ranks equals one process running the same schedule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from dglgene.data import build_collection
from dglgene.datasets import simulate_collection
from dglgene.errors import DglgeneInputError
from dglgene.losses.base import EdgeTargets
from dglgene.models import MuSeGNN
from dglgene.train import fit
from dglgene.train.distributed import all_reduce_gradients, current_ranks

EPOCHS = 3


def _run_two_ranks(fn, *args, timeout: float = 300) -> None:
    """Run ``fn(rank, 2, *args)`` on two spawned processes; a hang fails instead of blocking."""
    context = mp.spawn(fn, args=(2, *args), nprocs=2, join=False)
    deadline = time.monotonic() + timeout
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f"the two ranks did not finish within {timeout:.0f} s")


def _collection():
    # three graphs: each epoch's second step has one pair, so one rank adds only zeros
    return build_collection(simulate_collection(n_datasets=3, seed=0).adatas, n_hvg=60,
                            n_jobs=1)


def _rank(rank: int, world: int, init: str, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=world)
    try:
        collection = _collection()
        model = MuSeGNN(collection, dim=8, seed=0)
        history = fit(model, collection, epochs=EPOCHS, seed=0)
        assert current_ranks().world_size == world
        if rank == 0:
            torch.save({"state": model.state_dict(), "history": history}, out)
        dist.barrier()  # both done before the group goes
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_equal_one_process_of_the_same_schedule(tmp_path, one_thread) -> None:
    _run_two_ranks(_rank, str(tmp_path / "init"), str(tmp_path / "rank0.pt"))
    ranked = torch.load(tmp_path / "rank0.pt", weights_only=False)
    collection = _collection()
    model = MuSeGNN(collection, dim=8, seed=0)
    alone = fit(model, collection, epochs=EPOCHS, seed=0, pairs_per_step=2)
    both: pd.DataFrame = ranked["history"]
    # the same pairs in the same order, each computed by one rank, half of them by rank 1
    pd.testing.assert_frame_equal(both[["epoch", "i", "j"]], alone[["epoch", "i", "j"]])
    assert (alone["rank"] == 0).all()
    assert both["rank"].tolist() == [k % 2 for k in range(3)] * EPOCHS
    losses = [c for c in alone.columns if c not in ("epoch", "i", "j", "rank")]
    np.testing.assert_allclose(both[losses].to_numpy(), alone[losses].to_numpy(), rtol=1e-5,
                               atol=1e-7)
    assert set(ranked["state"]) == set(model.state_dict())
    for name, value in model.state_dict().items():
        torch.testing.assert_close(ranked["state"][name], value, rtol=1e-5, atol=1e-6)
    # the comparison can fail: a run of one pair per step ends elsewhere
    single = MuSeGNN(collection, dim=8, seed=0)
    fit(single, collection, epochs=EPOCHS, seed=0)
    assert any(not torch.allclose(single.state_dict()[k], v, atol=1e-4)
               for k, v in model.state_dict().items())


def test_pairs_per_step_must_be_the_world_size_under_torch_distributed(monkeypatch) -> None:
    from dglgene.train.distributed import Ranks

    # the module, not the function dglgene.train re-exports under the same name
    monkeypatch.setattr(sys.modules["dglgene.train.fit"], "current_ranks",
                        lambda: Ranks(0, 2, "gloo"))
    collection = _collection()
    with pytest.raises(DglgeneInputError, match="pairs_per_step=3 on 2 ranks"):
        fit(MuSeGNN(collection, dim=8), collection, epochs=1, pairs_per_step=3)


def _flags_rank(rank: int, world: int, init: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=world)
    try:
        touched, left = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2))
        if rank == 0:  # only rank 0 touches the first; nobody the second
            touched.grad = torch.tensor([1.0, 2.0, 3.0])
        all_reduce_gradients([touched, left], current_ranks())
        torch.save({"touched": touched.grad, "left": left.grad}, f"{out}.{rank}")
        dist.barrier()  # both done before the group goes
    finally:
        dist.destroy_process_group()


def test_a_parameter_no_rank_touched_keeps_no_gradient(tmp_path) -> None:
    out = str(tmp_path / "grads")
    _run_two_ranks(_flags_rank, str(tmp_path / "init"), out)
    for rank in (0, 1):
        grads = torch.load(f"{out}.{rank}", weights_only=True)
        assert torch.equal(grads["touched"], torch.tensor([1.0, 2.0, 3.0]))  # zeros added
        assert grads["left"] is None  # so Adam leaves it alone, as in one process


def test_a_grouped_step_is_adam_on_the_mean_gradient_of_its_pairs() -> None:
    """Recomputed by hand: 3 graphs, 3 pairs per step, so one Adam step an epoch."""
    collection = _collection()
    grouped = MuSeGNN(collection, dim=8, seed=0)
    history = fit(grouped, collection, epochs=1, seed=0, pairs_per_step=3)
    by_hand = MuSeGNN(collection, dim=8, seed=0)
    optimizer = torch.optim.Adam(by_hand.parameter_groups(1e-3, 1e-3))
    overlaps = collection.overlaps(seed=0)
    targets = [EdgeTargets.of(g.adjacency()) for g in collection]
    for position, (i, j, logged) in enumerate(history[["i", "j", "total"]].to_numpy()):
        i, j = int(i), int(j)
        rng = np.random.default_rng([0, 0, position])
        torch.manual_seed(int(rng.integers(2**62)))
        components = by_hand.training_step(collection, i, j, overlaps, targets[i], rng, 100)
        total = by_hand.loss.total(components)
        assert float(total) == pytest.approx(logged, rel=1e-6)
        (total / 3).backward()
    optimizer.step()
    for name, value in grouped.state_dict().items():
        torch.testing.assert_close(by_hand.state_dict()[name], value)


def test_torchrun_embed_exits_cleanly_every_time(tmp_path) -> None:
    """Rank 0 writes the outputs alone while rank 1 has nothing left to do: both meet at
    the exit barrier, so every launch ends, both ranks with exit 0, within the timeout (a
    rank that left the group early used to hang in destroy_process_group now and then)."""
    sim = simulate_collection(n_datasets=2, n_modules=4, genes_per_module=15, n_background=60,
                              cells=(150, 160), seed=2)
    inputs = []
    for adata in sim.adatas:
        inputs.append(str(tmp_path / f"{adata.uns['dataset']}.h5ad"))
        adata.write_h5ad(inputs[-1])
    config = tmp_path / "run.toml"
    config.write_text("[graphs]\nn_components = 8\n[model]\ndim = 8\n")
    for attempt in range(3):
        out = tmp_path / f"out{attempt}"
        launch = subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "--standalone",
             "--nproc-per-node", "2", "-m", "dglgene", "embed", *inputs, "--out", str(out),
             "--epochs", "2", "--config", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"}, start_new_session=True)
        try:
            output, _ = launch.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(launch.pid, signal.SIGKILL)  # torchrun and both ranks
            pytest.fail(f"launch {attempt + 1} did not exit within 240 s")
        assert launch.returncode == 0, output[-2000:]
        assert (out / "gene_embeddings.h5ad").exists() and (out / "model").is_dir()
