"""Gene-kNN test cases: points on a circle, stratified folds, sklearn's kNN as the
reference, random kNN problems (a hypothesis strategy) and planted gene modules."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier


def on_circle(degrees: list[float], genes: list[str]) -> pd.DataFrame:
    """Points on the unit circle: cosine distance grows with the angle between them."""
    angle = np.radians(degrees)
    return pd.DataFrame({"x": np.cos(angle), "y": np.sin(angle)}, index=genes)


def folds_of(y, n_folds: int, seed: int) -> list[int]:
    fold = np.empty(len(y), dtype=int)
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        fold[test] = f
    return fold.tolist()


def sklearn_scores(x: np.ndarray, y: np.ndarray, k: int, n_folds: int, seed: int) -> np.ndarray:
    """The reference: one KNeighborsClassifier per fold, out-of-fold class fractions."""
    scores = np.empty((len(y), len(np.unique(y))))
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y):
        model = KNeighborsClassifier(k, metric="cosine", algorithm="brute").fit(x[train],
                                                                               y[train])
        scores[test] = model.predict_proba(x[test])
    return scores


@st.composite
def knn_cases(draw):
    n = draw(st.integers(12, 40))
    n_folds = draw(st.integers(2, 4))
    k = draw(st.integers(1, n - -(-n // n_folds)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, draw(st.integers(2, 5))))  # 1-D cosine distances all tie
    return x, k, n_folds, draw(st.integers(0, 1000)), rng


def planted(n_modules: int = 4, size: int = 30, n_background: int = 60, dim: int = 16,
            seed: int = 0) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Module genes scattered tightly around their module's centre; background anywhere."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_modules, dim)) * 3
    rows = [centres[m] + 0.3 * rng.standard_normal((size, dim)) for m in range(n_modules)]
    rows.append(rng.standard_normal((n_background, dim)) * 3)
    genes = [f"gene{i:03d}" for i in range(n_modules * size + n_background)]
    modules = {f"module {m}": genes[m * size:(m + 1) * size] for m in range(n_modules)}
    return pd.DataFrame(np.vstack(rows), index=genes), modules
