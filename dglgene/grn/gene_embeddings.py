"""Read precomputed gene embeddings (genes x d) of any foundation model.

Two formats:

* ``.h5ad``: an AnnData whose observations are genes (``obs_names`` = gene symbols) and
  whose ``X`` holds the embedding (e.g. what ``dglgene embed`` writes);
* ``.npy``: a bare genes x d array whose rows follow the dataset's gene order exactly
  (the expression matrix's rows), since the file carries no gene names.

Genes of the dataset missing from an ``.h5ad`` get a zero row; the returned report says
how many.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "emb.npy")
>>> np.save(path, np.ones((3, 2)))
>>> read_gene_embeddings(path, ["A", "B", "C"])[0].shape
(3, 2)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dglgene.data.anndata_input import read_h5ad
from dglgene.errors import DglgeneInputError

__all__ = ["read_gene_embeddings"]


def read_gene_embeddings(path: str | os.PathLike, genes: list[str]) -> tuple[np.ndarray, str]:
    """The embedding rows of ``genes`` (in that order) and a one-line coverage report."""
    path = Path(path)
    if not path.is_file():
        raise DglgeneInputError(f"gene embedding file {str(path)!r} does not exist")
    if path.suffix == ".npy":
        try:
            matrix = np.load(path, allow_pickle=False)
        except ValueError as err:
            raise DglgeneInputError(f"{path.name}: not a plain .npy array ({err})") from None
        if matrix.ndim != 2 or matrix.shape[0] != len(genes):
            raise DglgeneInputError(f"{path.name}: shape {matrix.shape}, expected "
                                    f"({len(genes)}, d): a .npy embedding needs one row per "
                                    "expression gene, in order; use an .h5ad with gene names "
                                    "to match by name")
        report = f"{len(genes)}/{len(genes)} genes (rows taken in order)"
    elif path.suffix == ".h5ad":
        emb = read_h5ad(path)
        if emb.obs_names.has_duplicates:
            raise DglgeneInputError(f"{path.name}: duplicate gene names in obs_names; make them "
                                    "unique")
        x = emb.X.toarray() if hasattr(emb.X, "toarray") else np.asarray(emb.X)
        position = {g: i for i, g in enumerate(emb.obs_names)}
        rows = np.array([position.get(g, -1) for g in genes])
        found = rows >= 0
        if not found.any():
            raise DglgeneInputError(f"{path.name}: none of the {len(genes)} genes is among its "
                                    f"{emb.n_obs} obs_names (genes as observations expected)")
        matrix = np.zeros((len(genes), x.shape[1]), dtype=np.float32)
        matrix[found] = x[rows[found]]
        report = f"{int(found.sum())}/{len(genes)} genes found ({int((~found).sum())} zero rows)"
    else:
        raise DglgeneInputError(f"{path.name}: unknown embedding format {path.suffix!r}; "
                                "give a genes x d .npy or .h5ad")
    matrix = np.asarray(matrix, dtype=np.float32)
    if not np.isfinite(matrix).all():
        raise DglgeneInputError(f"{path.name}: embedding has NaN or infinite values; clean "
                                "or impute them first")
    return matrix, report
