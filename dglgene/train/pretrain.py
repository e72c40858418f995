r"""scBERT-style masked-value pre-training of an :class:`~dglgene.nn.performer.ScBertEncoder`.

scBERT (Yang et al. 2022, its ``pretrain.py``) pre-trains its Performer like BERT, on
expression bins instead of words: its masked-value objective is
:mod:`~dglgene.train.masking`'s.

:func:`pretrain_scbert` adds what scBERT's script takes for granted:

- **Genes.** The vocabulary is the *union* of the datasets' genes; a gene absent from a
  dataset is token 0 in its cells, as scBERT does for its fixed 16,906-gene panel. Of the
  union, the ``n_genes`` with the highest score are kept: per dataset, genes are ranked
  by the variance of their log-normalised expression (percentile, 1 = most variable,
  0 = least or absent); the score is the mean percentile over datasets. Percentiles keep
  a high-variance technology (Smart-seq2 TPM) from taking every slot, and absence
  lowers the score, so the kept genes are mostly measured everywhere. Order: by score.
- **Tokens.** ``normalize_total(1e4)`` over *all* of a cell's genes, ``log2(1 + x)``,
  bins (identical to ``expression_to_tokens`` on the full matrix, then a column subset),
  plus scBERT's trailing token 0; positions = genes + 1. Cells with no expressed kept
  gene have nothing to mask and are dropped.
- **Positions.** There is no gene2vec here, so the positional table is learnt
  (``freeze_position=False``).
- **Held-out score.** A ``val_fraction`` of cells is held out with fixed masks in which
  *every* chosen gene is replaced by the mask token (``replace_prob=1``): with scBERT's
  0.9, a tenth of the targets are visible in the input and a model copies them. Beside
  it, the *frequency-only baseline* predicts each gene's marginal distribution of
  non-zero bins in the training cells (Laplace-smoothed); a model that learnt nothing
  about co-expression does not beat it.
- **Resume.** With a checkpoint (:data:`~dglgene.train.checkpoint.PRETRAIN`) written
  after every epoch, a killed run continues to the weights of an uninterrupted one.

Example
-------
>>> import numpy as np, anndata as ad
>>> counts = np.random.default_rng(0).poisson(3.0, size=(60, 40)).astype(np.float32)
>>> result = pretrain_scbert(ad.AnnData(counts), epochs=1, seed=0,
...                          config=dict(dim=8, depth=1, heads=2, dim_head=4))
>>> len(result.genes), result.model.max_seq_len, list(result.history.columns[:3])
(40, 41, ['epoch', 'train_loss', 'train_acc'])
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor

from dglgene.data.anndata_input import expression_matrix
from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.nn.performer import ScBertEncoder
from dglgene.nn.scbert_tokens import (
    SCBERT_BIN_NUM,
    expression_to_tokens,
    log2_normalise_,
)
from dglgene.train.checkpoint import PRETRAIN, fingerprint
from dglgene.train.device import require_device
from dglgene.train.engine import TrainingPlan, run_training
from dglgene.train.masking import (
    IGNORE_INDEX,
    frequency_baseline,
    mask_tokens,
    masked_accuracy,
    masked_value_loss,
)
from dglgene.train.settings import PretrainConfig

__all__ = [
    "SMALL_SCBERT_CONFIG",
    "PretrainResult",
    "pretrain_scbert",
    "select_genes",
    "tokenize_datasets",
]

#: Small enough to pre-train on ~1,000 cells x 1,000 genes on 2 CPU cores in minutes.
SMALL_SCBERT_CONFIG: dict[str, int] = dict(num_tokens=SCBERT_BIN_NUM + 2, dim=32, depth=2,
                                           heads=4, dim_head=16)


class PretrainResult(NamedTuple):
    """What :func:`pretrain_scbert` returns."""

    model: ScBertEncoder   # eval mode
    genes: list[str]       # gene of each position (the last position is the end token)
    history: pd.DataFrame  # one row per epoch; attrs: n_train, n_val, n_dropped, n_datasets


# ---------------------------------------------------------------------------------- data


def _gene_variances(values: sp.csr_matrix) -> np.ndarray:
    mean = np.asarray(values.mean(axis=0)).ravel().astype(np.float64)
    mean_sq = np.asarray(values.multiply(values).mean(axis=0)).ravel().astype(np.float64)
    return np.maximum(mean_sq - mean**2, 0.0)


def select_genes(values: Sequence[sp.csr_matrix], genes: Sequence[Sequence[str]],
                 n_genes: int | None) -> list[str]:
    """The union of ``genes`` ranked by mean per-dataset variance percentile (module doc).

    ``values`` are the log-normalised cells x genes matrices. Genes that vary in no dataset
    are dropped; ties are broken by name so the order is reproducible.
    """
    score: dict[str, float] = {}
    for x, names in zip(values, genes):
        var = _gene_variances(x)
        # Percentile among this dataset's genes: 1 for the most variable, 0 for constant.
        ranks = np.empty(len(var))
        ranks[np.argsort(var, kind="stable")] = np.arange(1, len(var) + 1) / len(var)
        ranks[var == 0] = 0.0
        for name, r in zip(names, ranks):
            score[str(name)] = score.get(str(name), 0.0) + r / len(values)
    ranked = sorted((g for g, s in score.items() if s > 0), key=lambda g: (-score[g], g))
    return ranked if n_genes is None else ranked[:n_genes]


def tokenize_datasets(adatas: Sequence[ad.AnnData], n_genes: int | None = 1000,
                      genes: Sequence[str] | None = None, target_sum: float = 1e4
                      ) -> tuple[Tensor, list[str], np.ndarray]:
    """scBERT tokens (cells x genes + 1) of all datasets over one gene vocabulary.

    ``genes`` fixes the vocabulary (e.g. a checkpoint's); otherwise :func:`select_genes`
    picks ``n_genes``. Returns the tokens, the genes and each row's dataset index. Input is
    validated as :func:`dglgene.data.anndata_input.expression_matrix` does (one-line
    ``ValueError`` for empty data, NaN, negative values, duplicate genes).
    """
    if len(adatas) == 0:
        raise DglgeneInputError("no datasets to pre-train on; pass one or more AnnData")
    values, names = [], []
    for i, adata in enumerate(adatas):
        label = str(adata.uns.get("dataset", f"dataset {i}"))
        matrix, is_counts = expression_matrix(adata, label)
        if not is_counts:
            warnings.warn(f"{label}: values are not counts; normalising them as counts "
                          "(normalize_total, log2) as scBERT would", stacklevel=2)
        values.append(log2_normalise_(sp.csr_matrix(matrix, dtype=np.float32, copy=True),
                                      target_sum))
        names.append([str(g) for g in adata.var_names])
    vocabulary = list(genes) if genes is not None else select_genes(values, names, n_genes)
    if not vocabulary:
        raise DglgeneInputError("no gene varies in any dataset; nothing to pre-train on")
    if len(set(vocabulary)) != len(vocabulary):
        raise DglgeneInputError("genes must be unique")
    position = {g: i for i, g in enumerate(vocabulary)}
    blocks, dataset = [], []
    for d, (x, dataset_genes) in enumerate(zip(values, names)):
        cols = np.array([j for j, g in enumerate(dataset_genes) if g in position], np.int64)
        target = np.array([position[dataset_genes[j]] for j in cols], np.int64)
        block = torch.zeros(x.shape[0], len(vocabulary) + 1, dtype=torch.long)  # + end token
        if len(cols):
            block[:, torch.from_numpy(target)] = expression_to_tokens(x[:, cols],
                                                                      normalize=False)
        blocks.append(block)
        dataset.append(np.full(x.shape[0], d))
    return torch.cat(blocks), vocabulary, np.concatenate(dataset)


# ---------------------------------------------------------------------------------- training


def _evaluate(model: ScBertEncoder, inputs: Tensor, labels: Tensor, batch_size: int,
              device: torch.device) -> tuple[float, float]:
    """Masked loss (mean over masked genes) and accuracy on fixed masks, no gradients."""
    model.eval()
    loss_sum = correct = total = 0.0
    with torch.no_grad():
        for start in range(0, inputs.shape[0], batch_size):
            x = inputs[start:start + batch_size].to(device)
            y = labels[start:start + batch_size].to(device)
            logits = model(x)
            n = int((y != IGNORE_INDEX).sum())
            if n:
                loss_sum += float(masked_value_loss(logits, y)) * n
                c, _ = masked_accuracy(logits, y)
                correct, total = correct + c, total + n
    return loss_sum / max(total, 1), correct / max(total, 1)


def _baseline_scores(log_p: Tensor, labels: Tensor) -> tuple[float, float]:
    where = labels != IGNORE_INDEX
    gene = where.nonzero()[:, 1]
    target = labels[where]
    loss = -log_p[gene, target].mean()
    acc = (log_p[gene].argmax(-1) == target).float().mean()
    return float(loss), float(acc)


class MaskedValueTraining(TrainingPlan):
    """scBERT's masked-value pre-training as a :class:`~dglgene.train.engine.TrainingPlan`:
    an epoch is one pass over the training cells in random batches with fresh masks,
    scored on the held-out cells' fixed masks (the arguments are
    :func:`pretrain_scbert`')."""

    kind = PRETRAIN
    label = "pretrain epochs"
    written_for = "another model"

    def __init__(self, model: ScBertEncoder, tokens: Tensor, held_out: tuple[Tensor, Tensor],
                 baseline: tuple[float, float], generator: torch.Generator, device: str,
                 run: dict[str, Any]) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=run["lr"],
                                           weight_decay=run["weight_decay"])
        self.tokens, self.held_out, self.baseline = tokens, held_out, baseline
        self.generator, self.run = generator, run
        self.batch_size = run["batch_size"]
        self.clock = time.perf_counter()

    def settings(self) -> dict[str, Any]:
        return self.run

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.clock = time.perf_counter() - state["history"][-1]["seconds"]

    def epoch(self, epoch: int) -> list[dict]:
        model, gen = self.model, self.generator
        model.train()
        loss_sum = correct = total = 0.0
        perm = torch.randperm(self.tokens.shape[0], generator=gen)
        for first in range(0, len(perm), self.batch_size):
            inputs, labels = mask_tokens(self.tokens[perm[first:first + self.batch_size]],
                                         self.run["mask_prob"], self.run["replace_prob"], gen)
            inputs, labels = inputs.to(self.device), labels.to(self.device)
            logits = model(inputs)
            loss = masked_value_loss(logits, labels)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.run["max_grad_norm"])
            self.optimizer.step()
            n = int((labels != IGNORE_INDEX).sum())
            c, _ = masked_accuracy(logits.detach(), labels)
            loss_sum, correct, total = loss_sum + float(loss) * n, correct + c, total + n
        val_loss, val_acc = _evaluate(model, *self.held_out, 4 * self.batch_size, self.device)
        return [dict(epoch=epoch + 1, train_loss=loss_sum / max(total, 1),
                     train_acc=correct / max(total, 1), val_loss=val_loss, val_acc=val_acc,
                     baseline_loss=self.baseline[0], baseline_acc=self.baseline[1],
                     seconds=time.perf_counter() - self.clock)]


def pretrain_scbert(adatas: ad.AnnData | Sequence[ad.AnnData], *,
                    config: Mapping[str, Any] | None = None,
                    epochs: int = PretrainConfig.epochs, seed: int = 0,
                    n_genes: int | None = PretrainConfig.n_genes,
                    genes: Sequence[str] | None = None,
                    batch_size: int = PretrainConfig.batch_size, lr: float = PretrainConfig.lr,
                    weight_decay: float = PretrainConfig.weight_decay,
                    mask_prob: float = PretrainConfig.mask_prob,
                    replace_prob: float = PretrainConfig.replace_prob,
                    val_fraction: float = PretrainConfig.val_fraction,
                    max_grad_norm: float = PretrainConfig.max_grad_norm,
                    target_sum: float = 1e4, device: str = "cpu",
                    checkpoint: str | os.PathLike | None = None,
                    resume: bool = False) -> PretrainResult:
    """Masked-value pre-training of an :class:`ScBertEncoder` on raw-count AnnData.

    ``config``: ScBertEncoder settings (default :data:`SMALL_SCBERT_CONFIG`);
    ``max_seq_len`` is set to genes + 1 and the positional table is learnt. AdamW with
    gradient clipping; seeded and deterministic (a given seed, thread count and device
    give the same weights). ``history`` has one row per epoch: mean ``train_loss`` and
    ``train_acc`` over the epoch's masked genes, held-out ``val_loss``/``val_acc`` on
    fixed full-replacement masks, the frequency-only ``baseline_loss``/``baseline_acc``
    on the same masks, and cumulative ``seconds``.

    With ``checkpoint``, the weights, optimiser, random states and history are written
    there after every epoch (atomically); ``resume=True`` continues from it, to exactly
    the weights and history (but ``seconds``) of an uninterrupted run (on CPU). A
    checkpoint of other data (cells, genes) or settings (but ``epochs``) is refused.
    """
    if isinstance(adatas, ad.AnnData):
        adatas = [adatas]
    require_at_least("epochs", epochs)
    require_at_least("n_genes", n_genes)
    if not 0.0 < val_fraction < 1.0:
        raise DglgeneInputError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    require_at_least("batch_size", batch_size)
    require_device(device)
    tokens, vocabulary, _ = tokenize_datasets(adatas, n_genes, genes, target_sum)
    expressed = (tokens > 0).any(1)
    tokens = tokens[expressed]  # nothing to mask in a cell with no expressed gene
    if tokens.shape[0] < 2:
        raise DglgeneInputError(f"{tokens.shape[0]} cell(s) express a selected gene; need at least "
                         "2 (one to train on, one to hold out)")

    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(tokens.shape[0], generator=gen)
    n_val = min(max(1, round(val_fraction * tokens.shape[0])), tokens.shape[0] - 1)
    val_tokens, train_tokens = tokens[order[:n_val]], tokens[order[n_val:]]
    # Fixed held-out masks: every epoch is scored on the same genes.
    val_inputs, val_labels = mask_tokens(val_tokens, mask_prob, 1.0, gen)
    baseline = _baseline_scores(frequency_baseline(train_tokens[:, :-1]),
                                val_labels[:, :-1])

    settings = {**SMALL_SCBERT_CONFIG, **(config or {}), "max_seq_len": len(vocabulary) + 1}
    with torch.random.fork_rng(devices=[]):  # model init from the seed, caller's RNG untouched
        torch.manual_seed(seed)
        try:
            model = ScBertEncoder(**settings, freeze_position=False)
        except TypeError as err:
            raise DglgeneInputError(f"bad configuration for ScBertEncoder: {err}") from None
    # What a checkpoint must have been written with to be continued (all but epochs).
    run = dict(seed=seed, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
               mask_prob=mask_prob, replace_prob=replace_prob, val_fraction=val_fraction,
               max_grad_norm=max_grad_norm, config=settings,
               data=fingerprint(tokens, "\n".join(vocabulary)))
    plan = MaskedValueTraining(model, train_tokens, (val_inputs, val_labels), baseline, gen,
                               device, run)
    # Dropout (a config with dropout > 0) draws from torch's random state: seeded by the
    # engine, and the caller's left as it was.
    frame = pd.DataFrame(run_training(plan, epochs, seed, device, checkpoint, resume))
    frame.attrs.update(n_train=int(train_tokens.shape[0]), n_val=int(n_val),
                       n_dropped=int((~expressed).sum()), n_datasets=len(adatas))
    return PretrainResult(model.eval(), vocabulary, frame)

