"""Node features: each gene's value profile across the cells, reduced over the cell axis so
that its width does not grow with the cells."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

if TYPE_CHECKING:
    from dglgene.data.build import GraphRecipe

#: how a gene's profile is reduced to ``GraphRecipe.n_components`` columns
REDUCTIONS = ("pca", "random", "pseudobulk")


def node_features(values: np.ndarray, recipe: GraphRecipe) -> np.ndarray:
    """Genes x d: each gene's profile across cells, reduced over the cell axis to
    ``n_components`` by ``reduction`` (None: the whole profile, one column per cell):

    - ``"pca"``: its first principal components (randomised SVD);
    - ``"random"``: a Gaussian random projection, :math:`V^\\top R / \\sqrt d`
      (Johnson-Lindenstrauss: distances between genes are kept approximately);
    - ``"pseudobulk"``: its mean in each of ``n_components`` metacells (k-means of the
      cells on their first 30 principal components).
    """
    profiles = values.T
    k = recipe.n_components
    if k is None or k >= profiles.shape[1]:
        return profiles
    if recipe.reduction == "pca":  # PCA has at most as many components as genes
        return (PCA(k, random_state=0).fit_transform(profiles) if k < profiles.shape[0]
                else profiles)
    if recipe.reduction == "random":
        projection = np.random.default_rng(0).standard_normal((profiles.shape[1], k))
        return profiles @ projection / np.sqrt(k)
    cells = PCA(min(30, *values.shape), random_state=0).fit_transform(values)
    metacell = KMeans(k, n_init=1, random_state=0).fit_predict(cells)
    sizes = np.bincount(metacell, minlength=k)
    return (profiles @ np.eye(k)[metacell]) / np.maximum(sizes, 1)
