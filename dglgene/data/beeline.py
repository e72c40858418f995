"""BEELINE benchmarks in GENELink's file layout: reader, writer and split files.

A directory in this layout (zpliulab/GENELink, ``Dataset/Benchmark Dataset/...``) holds

=========================  ===============================================================
``BL--ExpressionData.csv``  genes x cells, gene symbols as the (unnamed) index column
``BL--network.csv``         ``Gene1,Gene2[,Score]``: the known edges, TF -> target, by name
``TF.csv``                  ``,TF,index``: the TFs; ``index`` = row of the expression matrix
``Target.csv``              ``,Gene,index``: the genes that may be targets (candidates)
``Label.csv``               ``,TF,Target``: the known edges as expression row indices
                            (redundant with the network; optional, checked when present)
=========================  ===============================================================

Split files (``Train_set.csv``, ``Validation_set.csv``, ``Test_set.csv``) are written by
GENELink's ``Train_Test_Split.py`` with ``DataFrame.to_csv``: ``,TF,Target,Label``, an
unnamed 0..n-1 index column, TF and Target as expression row indices, Label 0/1
(optional in a test file). In memory a split is a DataFrame with columns ``tf``,
``target`` (int row indices) and, when known, ``label`` (int 0/1).

Row indices are specific to one directory: the three mDC ground truths order their
expression rows differently, so TF.csv / Target.csv / Label.csv / split files must never
be mixed across folders. The reader checks every index file against the expression rows.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dglgene.atomic import atomic_path
from dglgene.data.grn_data import GRNData, _few
from dglgene.errors import DglgeneFileNotFoundError, DglgeneInputError

__all__ = ["FILES", "read_beeline", "read_split", "write_beeline", "write_split"]

#: The files of GENELink's layout (Label.csv is optional on reading).
FILES = {
    "expression": "BL--ExpressionData.csv",
    "network": "BL--network.csv",
    "tfs": "TF.csv",
    "targets": "Target.csv",
    "labels": "Label.csv",
}
_SPLIT_COLUMNS = {"TF": "tf", "Target": "target", "Label": "label"}



# ----------------------------------------------------------------------------- reading

def _require(directory: Path, key: str) -> Path:
    path = directory / FILES[key]
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"{path} not found; a GENELink-layout directory needs "
                                       f"{', '.join(v for k, v in FILES.items() if k != 'labels')}")
    return path


def _read_csv(path: Path, columns: list[str], **kwargs) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise DglgeneInputError(f"{path} is empty; it needs columns {','.join(columns)}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DglgeneInputError(f"{path} lacks column(s) {','.join(missing)} (has "
                                f"{','.join(map(str, df.columns))}); the header must be "
                                f"{','.join(columns)}")
    return df


def _read_expression(path: Path) -> pd.DataFrame:
    try:
        expr = pd.read_csv(path, index_col=0, float_precision="round_trip")
    except pd.errors.EmptyDataError:
        raise DglgeneInputError(f"{path} is empty; it needs genes x cells with gene names "
                                "in the first column") from None
    if expr.shape[0] == 0 or expr.shape[1] == 0:
        raise DglgeneInputError(f"{path} has no genes or no cells; it needs genes x cells with "
                                "gene names in the first column")
    expr.index = expr.index.astype(str)
    dup = expr.index[expr.index.duplicated()].unique()
    if len(dup):
        raise DglgeneInputError(f"{path}: {len(dup)} duplicate gene names ({_few(dup)}); "
                                "merge or rename the duplicated rows")
    bad = [c for c in expr.columns if not pd.api.types.is_numeric_dtype(expr[c])]
    if bad:
        raise DglgeneInputError(f"{path}: non-numeric values in cell column(s) {_few(bad)}; "
                                "the file must hold numbers with gene names in the first column")
    nan = expr.isna().to_numpy()
    if nan.any():
        i, j = np.argwhere(nan)[0]
        raise DglgeneInputError(f"{path}: {int(nan.sum())} NaN expression values (first: gene "
                                f"{expr.index[i]}, cell {expr.columns[j]}); impute or drop them")
    return expr.astype(np.float64)


def _read_index_file(path: Path, name_col: str, genes: pd.Index) -> list[str]:
    df = _read_csv(path, [name_col, "index"], index_col=0)
    idx = pd.to_numeric(df["index"], errors="coerce")
    if idx.isna().any() or (idx % 1 != 0).any():
        raise DglgeneInputError(f"{path}: column index must hold integer row indices of "
                                f"{FILES['expression']}")
    idx = idx.astype(np.int64).to_numpy()
    out = (idx < 0) | (idx >= len(genes))
    if out.any():
        raise DglgeneInputError(f"{path}: {int(out.sum())} indices outside 0..{len(genes) - 1} "
                                f"(e.g. {idx[out][0]}); the file belongs to another expression "
                                "matrix")
    names = df[name_col].astype(str).to_numpy()
    wrong = np.flatnonzero(genes[idx] != names)
    if len(wrong):
        k = wrong[0]
        raise DglgeneInputError(f"{path}: {len(wrong)} rows name a different gene than the "
                                f"expression row they point to (e.g. {names[k]} -> row {idx[k]} = "
                                f"{genes[idx[k]]}); the file belongs to another expression matrix")
    return list(names)


def read_beeline(directory: str | os.PathLike, name: str | None = None) -> GRNData:
    """Read a GENELink-layout directory (see the module docstring) into :class:`GRNData`.

    Edges whose genes are not rows of the expression are dropped with a warning (as long
    as some remain); self-loops and duplicate edges are dropped with a warning. A network
    TF missing from TF.csv is added to ``tfs`` with a warning.

    Parameters
    ----------
    directory
        The folder holding ``BL--ExpressionData.csv``, ``BL--network.csv``, ``TF.csv``,
        ``Target.csv`` and, optionally, ``Label.csv`` (checked against the network).
    name
        The dataset's name; the folder's name when not given.

    Returns
    -------
    GRNData
        The expression (genes x cells, float64) and the known network.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DglgeneFileNotFoundError(f"{directory} is not a directory; pass the folder holding "
                                       f"{FILES['expression']} and {FILES['network']}")
    expr_path = _require(directory, "expression")
    net_path = _require(directory, "network")
    tf_path = _require(directory, "tfs")
    target_path = _require(directory, "targets")
    expr = _read_expression(expr_path)
    genes = expr.index

    net = _read_csv(net_path, ["Gene1", "Gene2"])
    if len(net) == 0:
        raise DglgeneInputError(f"{net_path} has no edges; it needs rows Gene1,Gene2 (TF, target)")
    if net[["Gene1", "Gene2"]].isna().any().any():
        raise DglgeneInputError(f"{net_path}: empty gene names in Gene1/Gene2; fill or drop "
                                "those rows")
    network = pd.DataFrame({"tf": net["Gene1"].astype(str), "target": net["Gene2"].astype(str)})
    if "Score" in net.columns:
        network["score"] = pd.to_numeric(net["Score"], errors="coerce")
    known = set(genes)
    tf_in = network["tf"].isin(known)
    if not tf_in.any():
        raise DglgeneInputError(f"{net_path}: none of its {network['tf'].nunique()} TFs "
                                f"({_few(sorted(network['tf'].unique()))}) is a gene of "
                                f"{expr_path.name}; the network and expression do not match "
                                "(gene symbols / species?)")
    keep = tf_in & network["target"].isin(known)
    if not keep.any():
        raise DglgeneInputError(f"{net_path}: no edge has both genes in {expr_path.name}; the "
                                "network and expression do not match")
    if not keep.all():
        missing = sorted(set(network.loc[~keep, ["tf", "target"]].to_numpy().ravel()) - known)
        warnings.warn(f"{net_path}: dropped {int((~keep).sum())} of {len(network)} edges whose "
                      f"genes are not in {expr_path.name} ({len(missing)} genes: "
                      f"{_few(missing)})", UserWarning, stacklevel=2)
        network = network[keep]
    loops = network["tf"] == network["target"]
    if loops.any():
        warnings.warn(f"{net_path}: dropped {int(loops.sum())} self-loops", UserWarning,
                      stacklevel=2)
        network = network[~loops]
    dup = network.duplicated(["tf", "target"])
    if dup.any():
        warnings.warn(f"{net_path}: dropped {int(dup.sum())} duplicate edges", UserWarning,
                      stacklevel=2)
        network = network[~dup]
    network = network.reset_index(drop=True)

    tfs = _read_index_file(tf_path, "TF", genes)
    targets = _read_index_file(target_path, "Gene", genes)
    extra = sorted(set(network["tf"]) - set(tfs))
    if extra:
        warnings.warn(f"{tf_path}: {len(extra)} network TFs are not listed ({_few(extra)}); "
                      "added them to tfs", UserWarning, stacklevel=2)
        tfs = tfs + extra

    label_path = directory / FILES["labels"]
    if label_path.is_file():
        labels = _read_csv(label_path, ["TF", "Target"], index_col=0)
        split = _as_split(labels, label_path, n_genes=len(genes), genes=genes)
        index = {g: i for i, g in enumerate(genes)}
        net_pairs = set(zip(network["tf"].map(index), network["target"].map(index)))
        label_pairs = set(zip(split["tf"], split["target"]))
        if net_pairs != label_pairs:
            diff = sorted(net_pairs ^ label_pairs)
            raise DglgeneInputError(f"{label_path} disagrees with {net_path.name} on {len(diff)} "
                                    f"edges (e.g. rows {diff[0]}); delete {label_path.name} to "
                                    "rebuild it from the network, or fix the indices")
    return GRNData(expr, network, tfs, targets, name=name or directory.name)


# ----------------------------------------------------------------------------- writing

def _index_frame(names: list[str], column: str, index: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({column: names, "index": [index[n] for n in names]})


def write_beeline(data: GRNData, directory: str | os.PathLike) -> Path:
    """Write ``data`` in GENELink's layout, atomically (a temp dir renamed into place).

    Parameters
    ----------
    data
        The dataset to write; its checks are run again first.
    directory
        Where to write; an existing directory is replaced as a whole.

    Returns
    -------
    Path
        ``directory``.
    """
    directory = Path(directory)
    data = data.copy()  # re-runs the checks on the current contents
    index = data.gene_index
    expr = data.expression.copy()
    expr.index.name = None  # GENELink's header starts with an empty cell
    net = pd.DataFrame({"Gene1": data.network["tf"], "Gene2": data.network["target"]})
    if "score" in data.network.columns:
        net["Score"] = data.network["score"].to_numpy()
    tf_idx, target_idx = data.edge_index()
    with atomic_path(directory, directory=True) as tmp:
        expr.to_csv(tmp / FILES["expression"])
        net.to_csv(tmp / FILES["network"], index=False)
        _index_frame(data.tfs, "TF", index).to_csv(tmp / FILES["tfs"])
        _index_frame(data.targets, "Gene", index).to_csv(tmp / FILES["targets"])
        pd.DataFrame({"TF": tf_idx, "Target": target_idx}).to_csv(tmp / FILES["labels"])
    return directory


# ----------------------------------------------------------------------------- splits

def _as_split(df: pd.DataFrame, source: object, n_genes: int | None = None,
              genes: pd.Index | None = None) -> pd.DataFrame:
    """GENELink columns (TF, Target[, Label]) or ours (tf, target[, label]) -> ours."""
    df = df.rename(columns=_SPLIT_COLUMNS)
    missing = [c for c in ("tf", "target") if c not in df.columns]
    if missing:
        raise DglgeneInputError(f"{source}: lacks column(s) {','.join(missing)}; a split needs "
                                "columns TF,Target[,Label]")
    out = pd.DataFrame(index=range(len(df)))
    index = None if genes is None else {g: i for i, g in enumerate(genes)}
    for col in ("tf", "target"):
        values = df[col]
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all() and (numeric % 1 == 0).all():
            out[col] = numeric.astype(np.int64).to_numpy()
            continue
        if index is None:  # gene names need the expression to be resolved
            raise DglgeneInputError(f"{source}: column {col} holds non-integer values; give "
                                    "expression row indices, or pass data= to map gene names")
        unknown = sorted(set(values.astype(str)) - index.keys())
        names = values[numeric.isna()].astype(str)
        if unknown and numeric.notna().any() and len(names):  # e.g. one index made a name
            raise DglgeneInputError(f"{source}: column {col} mixes expression row indices and "
                                    f"gene names (e.g. {names.iloc[0]!r}); use one or the "
                                    "other throughout")
        if unknown:
            raise DglgeneInputError(f"{source}: {len(unknown)} unknown genes in column {col} "
                                    f"({_few(unknown)}); they are not rows of the expression")
        out[col] = values.astype(str).map(index).astype(np.int64).to_numpy()
    if n_genes is not None:
        for col in ("tf", "target"):
            bad = (out[col] < 0) | (out[col] >= n_genes)
            if bad.any():
                raise DglgeneInputError(f"{source}: {int(bad.sum())} {col} indices outside "
                                        f"0..{n_genes - 1} (e.g. {out[col][bad].iloc[0]}); the "
                                        "split belongs to another expression matrix")
    elif ((out["tf"] < 0) | (out["target"] < 0)).any():
        raise DglgeneInputError(f"{source}: negative gene indices; give expression row "
                                "indices (0-based)")
    if "label" in df.columns:
        label = pd.to_numeric(df["label"], errors="coerce")
        if label.isna().any() or not label.isin([0, 1]).all():
            raise DglgeneInputError(f"{source}: column Label must hold only 0 and 1 (1: a "
                                    "known edge, 0: a negative pair)")
        out["label"] = label.astype(np.int64).to_numpy()
    return out


def read_split(path: str | os.PathLike, data: GRNData | None = None) -> pd.DataFrame:
    """Read a GENELink split file (``,TF,Target[,Label]``).

    Parameters
    ----------
    path
        The split file (``Train_set.csv``, ``Validation_set.csv``, ``Test_set.csv``).
    data
        The dataset the split belongs to. With it, indices are checked against its
        expression rows, and TF/Target columns that hold gene names are mapped to rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``tf``, ``target`` (int64 expression rows) and, when the file has one,
        ``label`` (int64, 0 or 1).
    """
    path = Path(path)
    if not path.is_file():
        raise DglgeneFileNotFoundError(f"{path} not found; write splits with write_split or "
                                       "GENELink's Train_Test_Split.py")
    df = _read_csv(path, ["TF", "Target"], index_col=0)
    if data is None:
        return _as_split(df, path)
    return _as_split(df, path, n_genes=data.n_genes, genes=data.expression.index)


def write_split(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a split as GENELink does: ``,TF,Target[,Label]``, atomically.

    Parameters
    ----------
    df
        Columns ``tf``, ``target`` (expression rows or GENELink's ``TF``, ``Target``) and,
        optionally, ``label`` (0 or 1).
    path
        The file to write; a failed write leaves no file behind.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    split = _as_split(df, "write_split")
    out = pd.DataFrame({"TF": split["tf"], "Target": split["target"]})
    if "label" in split.columns:
        out["Label"] = split["label"]
    out.index = range(len(out))
    with atomic_path(path) as tmp:
        out.to_csv(tmp)
    return path
