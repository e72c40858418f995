"""GraphCollection: many GeneGraphs over one global gene vocabulary.

Each graph keeps an int64 array mapping its nodes to global gene ids: the input of the
native overlap kernels (:func:`dglgene.ops.pair_overlaps`). A collection saves to one
directory (DGL's binary graph format plus a JSON manifest and a CSV of gene names), so
an expensive construction is done once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import dgl
import numpy as np
import pandas as pd

from dglgene.atomic import atomic_path
from dglgene.data.gene_graph import GeneGraph
from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError
from dglgene.ops import PairOverlaps, pair_overlaps

FORMAT = "dglgene.GraphCollection"
FORMAT_VERSION = 1


class GraphCollection:
    """GeneGraphs plus the global vocabulary (sorted union of their gene names).

    >>> import numpy as np, scipy.sparse as sp
    >>> def toy(name, genes):
    ...     return GeneGraph.from_adjacency(sp.identity(len(genes), format="csr"),
    ...         np.zeros((len(genes), 2)), genes, dataset=name, modality="rna", tissue="t")
    >>> coll = GraphCollection([toy("a", ["X", "Y"]), toy("b", ["Y", "Z"])])
    >>> coll.vocabulary, [ids.tolist() for ids in coll.gene_ids]
    (['X', 'Y', 'Z'], [[0, 1], [1, 2]])
    """

    def __init__(self, graphs: Sequence[GeneGraph]) -> None:
        if not graphs:
            raise ValueError("a GraphCollection needs at least one GeneGraph")
        names = [g.dataset for g in graphs]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise DglgeneInputError(f"dataset name {repeated[0]!r} appears more than once; "
                                    "give each dataset its own name (adata.uns['dataset'] or "
                                    "names=)")
        self.graphs = list(graphs)
        self.vocabulary = sorted(set().union(*(g.genes for g in self.graphs)))
        if len(self.graphs) > 1 and len(self.vocabulary) == sum(g.n_genes for g in graphs):
            # QC and the n_hvg selection may also leave inputs that share genes without any
            raise DglgeneInputError("no gene is shared by any two datasets' graphs; check that "
                                    "all use the same gene naming (e.g. HGNC symbols, not "
                                    "Ensembl ids), or keep more genes per graph (n_hvg, "
                                    "shared_genes)")
        index = {gene: k for k, gene in enumerate(self.vocabulary)}
        self.gene_ids = [np.array([index[x] for x in g.genes], dtype=np.int64)
                         for g in self.graphs]
        self._overlaps: dict[tuple[int, str], PairOverlaps] = {}

    def __len__(self) -> int:
        return len(self.graphs)

    def __iter__(self) -> Iterator[GeneGraph]:
        return iter(self.graphs)

    def __getitem__(self, k: int) -> GeneGraph:
        return self.graphs[k]

    def overlaps(self, seed: int = 0, backend: str = "auto") -> PairOverlaps:
        """Common/different genes, Jaccard weights and neighbour draws for all pairs.

        Computed once per ``(seed, backend)`` by the native kernels and kept.
        """
        if (seed, backend) not in self._overlaps:
            csr = [g.csr() for g in self.graphs]
            self._overlaps[seed, backend] = pair_overlaps(
                [c[0] for c in csr], [c[1] for c in csr], self.gene_ids, seed=seed,
                backend=backend)
        return self._overlaps[seed, backend]

    def summary(self) -> pd.DataFrame:
        """One row per dataset: modality, tissue, cells, genes, edges, density."""
        return pd.DataFrame([{
            "dataset": g.dataset, "modality": g.modality, "tissue": g.tissue,
            "cells": g.info.get("n_cells"), "genes": g.n_genes, "edges": g.n_edges,
            "density": round(g.density, 4), "method": g.info.get("method"),
        } for g in self.graphs])

    def save(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the collection to directory ``path`` (atomically: all or nothing)."""
        path = Path(path)
        with atomic_path(path, directory=True, overwrite=overwrite) as tmp:
            dgl.save_graphs(str(tmp / "graphs.bin"), [g.graph for g in self.graphs])
            pd.DataFrame([(k, node, gene) for k, g in enumerate(self.graphs)
                          for node, gene in enumerate(g.genes)],
                         columns=["graph", "node", "gene"]).to_csv(tmp / "genes.csv",
                                                                   index=False)
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "graphs": [
                {"dataset": g.dataset, "modality": g.modality, "tissue": g.tissue,
                 "species": g.species, "info": g.info} for g in self.graphs]}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path) -> GraphCollection:
        """Read a collection written by :meth:`save`."""
        path = Path(path)
        files = [path / name for name in ("manifest.json", "graphs.bin", "genes.csv")]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise DglgeneFileNotFoundError(f"{path}: not a saved GraphCollection (missing "
                                           f"{', '.join(missing)}); build one with "
                                           "`dglgene graphs`")
        manifest = json.loads(files[0].read_text())
        if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
            raise DglgeneInputError(f"{path}: manifest is not a {FORMAT} "
                                    f"v{FORMAT_VERSION}; rebuild it with `dglgene graphs`")
        graphs, _ = dgl.load_graphs(str(files[1]))
        genes = pd.read_csv(files[2], keep_default_na=False, dtype={"gene": str})
        names = [list(part.sort_values("node")["gene"]) for _, part in genes.groupby("graph")]
        if len(names) != len(graphs) or len(graphs) != len(manifest["graphs"]):
            raise DglgeneInputError(f"{path}: graphs.bin, genes.csv and manifest.json disagree on "
                                    "the number of graphs; rebuild the collection")
        return cls([GeneGraph(graph=graph, genes=gene_names, **meta)
                    for graph, gene_names, meta in zip(graphs, names, manifest["graphs"])])

