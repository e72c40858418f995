r"""scTransNet: a foundation model's gene representations fused with a GNN over the known GRN.

.. math::
    x_g = [\,r_g \,\Vert\, z_g\,], \qquad s(t, g) = \mathrm{head}(x, t, g, \rho_{tg}),

where :math:`r_g` is the gene's pooled transformer representation
(:class:`~dglgene.nn.gene_representation.PooledEncodings` or a precomputed
:class:`~dglgene.nn.gene_representation.FixedEmbedding`), :math:`z_g` the output of a GNN
(:mod:`dglgene.nn.grn_gnn`) over the training edges with the genes' expression profiles
as node features, and the head the directional
:class:`~dglgene.nn.link_head.DirectionalLinkHead`. With ``coexpression=True`` the head
also sees the pair's expression correlation :math:`\rho_{tg}` (Pearson r over cells and
:math:`|r|`) beside the two representations: gene vectors learned from a few hundred labelled
pairs do not recover a pairwise co-expression measure by themselves. With
``target_degree=True`` it also sees :math:`\log(1 + d_g)`, the number of the target's
known regulators among the training positives (:meth:`ScTransNet.set_training_pairs`), its
own edge left out when a training pair is scored: a regulator never seen in training
then still ranks its candidates by how often they are regulated (the per-TF prior's
tie-break and the degree product's target factor) together with co-expression, where a
per-TF bias can say nothing. Either part may be left out:
``gene_repr=None`` is GENELink (GNN only), ``gnn=None`` the "no GNN" ablation.

Example
-------
>>> import torch
>>> from dglgene.nn.grn_gnn import known_grn_graph
>>> from dglgene.nn.gene_representation import PooledEncodings
>>> expr = torch.randn(6, 20)                        # genes x cells
>>> model = ScTransNet(expr, PooledEncodings(torch.randn(20, 6, 8)), gnn="gat")
>>> graph = known_grn_graph(6, torch.tensor([0, 1]), torch.tensor([2, 3]))
>>> model(graph, torch.tensor([0, 1]), torch.tensor([4, 5])).shape
torch.Size([2])
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import dgl
import numpy as np
import pandas as pd
import torch
from pydantic import Field
from torch import Tensor, nn

from dglgene.errors import DglgeneInputError, require_at_least
from dglgene.losses.base import LOSSES, Loss
from dglgene.nn.gene_representation import standardise
from dglgene.nn.grn_gnn import GRN_GNNS
from dglgene.nn.link_head import DirectionalLinkHead
from dglgene.settings import PositiveInt, Probability, settings

__all__ = ["ScTransNet", "ScTransNetConfig", "pair_tensors"]


def pair_tensors(pairs: pd.DataFrame, device: torch.device | str) -> tuple[Tensor, Tensor]:
    """The ``tf`` and ``target`` gene indices of ``pairs`` as int64 tensors on ``device``."""
    return (torch.as_tensor(pairs["tf"].to_numpy(np.int64), device=device),
            torch.as_tensor(pairs["target"].to_numpy(np.int64), device=device))


@settings
class ScTransNetConfig:
    """scTransNet's model settings (:class:`ScTransNet`'s arguments a run sets).

    Parameters
    ----------
    gnn
        The GNN over the known GRN: a name in :data:`~dglgene.nn.grn_gnn.GRN_GNNS`, or
        None for none.
    head_hidden
        Widths of the link head's hidden layers.
    dropout
        Dropout of the GNN and the head.
    target_degree
        Give the head the target's number of known regulators.
    tf_dropout
        The head's dropout of a regulator's bias (an unseen TF's bias is then predicted
        from its representation).
    """

    gnn: str | None = "gat"
    head_hidden: Annotated[tuple[PositiveInt, ...], Field(strict=False)] = (256, 64)
    dropout: Probability = 0.1
    target_degree: bool = True
    tf_dropout: Probability = 0.0


class ScTransNet(nn.Module):
    """Fusion of gene representations and a GRN GNN, scored by a directional head.

    ``expression``: genes x cells, the GNN's node features (standardised per gene);
    ``gene_repr``: a module returning genes x d (or None); ``gnn``: a registered name in
    :data:`~dglgene.nn.grn_gnn.GRN_GNNS` (``"gat"``, ``"gcn"``), a module called as
    ``gnn(graph, features)`` with an ``out_feats`` attribute, or None; ``loss``: a
    registered link loss name or a :class:`~dglgene.losses.base.Loss`; ``gene_bias``: the
    head's per-regulator biases; ``coexpression``: give the head each pair's correlation;
    ``target_degree``: and the target's number of known regulators; ``tf_dropout``: the
    head's (an unseen TF's bias predicted from its representation).
    ``options`` keeps the keyword arguments but ``expression`` and ``gene_repr`` (a saved
    model is rebuilt from them, see :mod:`dglgene.models.saved_model`).

    The model is whole: ``expression`` given as a genes x cells DataFrame names its
    ``genes`` and ``cells``; ``tfs`` and ``targets`` are the candidate pairs that
    :meth:`network` scores; :func:`~dglgene.train.fit_links` sets ``known_grn``, the graph
    its GNN runs on; ``settings`` and ``data`` keep the run's settings and metadata.
    :meth:`save` and :meth:`load` write and read it.
    """

    def __init__(self, expression: Tensor, gene_repr: nn.Module | None = None,
                 gnn: str | nn.Module | None = ScTransNetConfig.gnn,
                 head_hidden: Sequence[int] = ScTransNetConfig.head_hidden,
                 dropout: float = ScTransNetConfig.dropout, gene_bias: bool = True,
                 coexpression: bool = True,
                 target_degree: bool = ScTransNetConfig.target_degree,
                 tf_dropout: float = ScTransNetConfig.tf_dropout,
                 loss: str | Loss = "link", *, tfs: Sequence[str] = (),
                 targets: Sequence[str] = (), settings: Mapping[str, object] | None = None,
                 data: Mapping[str, object] | None = None) -> None:
        super().__init__()
        if gene_repr is None and gnn is None:
            raise DglgeneInputError("ScTransNet needs a gene representation, a GNN or both")
        frame = expression if isinstance(expression, pd.DataFrame) else None
        values = torch.as_tensor(frame.to_numpy(np.float32) if frame is not None else expression,
                                 dtype=torch.float32)
        #: gene names in row order and cell names (a DataFrame's index and columns)
        self.genes = [str(g) for g in frame.index] if frame is not None else None
        self.cells = [str(c) for c in frame.columns] if frame is not None else None
        #: the candidate regulators and targets the network scores
        self.tfs, self.targets = list(tfs), list(targets)
        #: the graph its GNN runs on (the training positives), set by training
        self.known_grn: dgl.DGLGraph | None = None
        #: the run's settings and metadata, kept with the model
        self.settings, self.data = dict(settings or {}), dict(data or {})
        self.register_buffer("expression", values, persistent=False)
        features = standardise(values.T).T
        self.register_buffer("features", features, persistent=False)
        self.gene_repr = gene_repr
        self.gnn = (GRN_GNNS.get(gnn)(features.shape[1], dropout=dropout)
                    if isinstance(gnn, str) else gnn)
        width = (gene_repr.out_feats if gene_repr is not None else 0) + \
            (self.gnn.out_feats if self.gnn is not None else 0)
        self.head = DirectionalLinkHead(width, head_hidden, dropout=dropout,
                                        n_genes=features.shape[0] if gene_bias else None,
                                        pair_feats=2 * coexpression + target_degree,
                                        tf_dropout=tf_dropout)
        self.coexpression, self.target_degree = coexpression, target_degree
        # the training positives' count per target (set_known_targets); saved with the model
        self.register_buffer("known_regulators", torch.zeros(features.shape[0]))
        self.loss = LOSSES.get(loss)() if isinstance(loss, str) else loss
        self.options = {"gnn": gnn, "head_hidden": tuple(head_hidden), "dropout": dropout,
                        "gene_bias": gene_bias, "coexpression": coexpression,
                        "target_degree": target_degree, "tf_dropout": tf_dropout,
                        "loss": loss}

    @property
    def n_genes(self) -> int:
        return self.features.shape[0]

    def gene_features(self, graph: dgl.DGLGraph | None) -> Tensor:
        """The fused representation :math:`x` (genes x width)."""
        parts = []
        if self.gene_repr is not None:
            parts.append(self.gene_repr())
        if self.gnn is not None:
            if graph is None:
                raise ValueError("this model has a GNN: pass the known-GRN graph")
            parts.append(self.gnn(graph, self.features))
        return torch.cat(parts, dim=1)

    def correlation(self, tf: Tensor, target: Tensor) -> Tensor:
        """Pearson r over cells of each pair's genes and its absolute value (pairs x 2)."""
        r = (self.features[tf] * self.features[target]).mean(-1)  # features are standardised
        return torch.stack([r, r.abs()], dim=-1)

    def set_training_pairs(self, tf: Tensor, target: Tensor, labels: Tensor) -> None:
        """The training pairs: their positives' targets are counted (what the head sees of
        a target's known regulators), their TFs are the ones seen."""
        self.known_regulators = torch.bincount(target[labels == 1], minlength=self.n_genes).to(
            self.known_regulators)
        self.head.set_training_tfs(tf)

    def pair_features(self, tf: Tensor, target: Tensor, own: Tensor | None = None
                      ) -> Tensor | None:
        """What the head sees of each pair beside the genes: the correlation and the
        target's known-regulator count (``own``: 1 where the pair is itself a known edge,
        left out of its count), or None."""
        parts = [self.correlation(tf, target)] if self.coexpression else []
        if self.target_degree:
            count = self.known_regulators[target] - (0 if own is None else own)
            parts.append(torch.log1p(count.clamp(min=0)).unsqueeze(-1))
        return torch.cat(parts, dim=-1) if parts else None

    def base_logits(self, tf: Tensor, target: Tensor, own: Tensor | None = None) -> Tensor:
        """The head's representation-free logits (per-TF bias and pair-feature terms)."""
        return self.head.base(tf, self.pair_features(tf, target, own))

    @torch.no_grad()
    def score_pairs(self, pairs: pd.DataFrame, graph: dgl.DGLGraph | None = None) -> np.ndarray:
        """Edge probabilities (sigmoid of the logits) of ``pairs`` (columns ``tf`` and
        ``target``: gene indices), in eval mode, over ``graph`` (default: the known GRN
        its GNN was trained on)."""
        graph = self.known_grn if graph is None else graph
        device = self.features.device
        was_training = self.training
        self.eval()
        logits = self(graph.to(device) if graph is not None else None,
                      *pair_tensors(pairs, device))
        self.train(was_training)
        return torch.sigmoid(logits).cpu().numpy().astype(np.float64)

    def network(self, top_k: int | None = None) -> pd.DataFrame:
        """Every candidate (TF, target) pair scored, in decoupler's ``source, target,
        weight`` form: each TF's rows by weight, highest first (TFs by name); ``top_k``:
        each TF's best ``top_k`` only. A TF is not its own target."""
        require_at_least("top_k", top_k)
        if self.genes is None or not self.tfs or not self.targets:
            raise DglgeneInputError("the model knows no gene names, TFs or targets; build "
                                    "it from a genes x cells DataFrame with tfs= and targets=")
        index = {g: i for i, g in enumerate(self.genes)}
        tfs = np.array([index[t] for t in self.tfs], np.int64)
        targets = np.array([index[t] for t in self.targets], np.int64)
        pairs = pd.DataFrame({"tf": np.repeat(tfs, len(targets)),
                              "target": np.tile(targets, len(tfs))}).query("tf != target")
        genes = np.asarray(self.genes)
        network = pd.DataFrame({"source": genes[pairs["tf"].to_numpy()],
                                "target": genes[pairs["target"].to_numpy()],
                                "weight": self.score_pairs(pairs)})
        network = network.sort_values(["source", "weight"], ascending=[True, False],
                                      kind="stable")
        if top_k is not None:
            network = network.groupby("source", sort=False).head(top_k)
        return network.reset_index(drop=True)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the trained model to directory ``path`` (:mod:`~dglgene.models.saved_model`);
        ``ScTransNet.load(path)`` reads it back."""
        from dglgene.models.saved_model import save_sctransnet  # it imports this module

        return save_sctransnet(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> ScTransNet:
        """The scTransNet saved in directory ``path``, in eval mode on ``device``."""
        from dglgene.models.saved_model import load_as

        return load_as(cls, path, device)

    def forward(self, graph: dgl.DGLGraph | None, tf: Tensor, target: Tensor,
                pair: Tensor | None = None) -> Tensor:
        """Logits of the pairs ``(tf, target)``; ``pair``: their :meth:`pair_features` when
        already computed (a training loop's, once for all its pairs, each positive's own
        edge left out of its count); computed here otherwise."""
        if pair is None:
            pair = self.pair_features(tf, target)
        return self.head(self.gene_features(graph), tf, target, pair)

