#!/usr/bin/env bash
# Packaging check: build the wheel, install it with the dependencies it declares into a
# fresh venv (constrained to the tested versions of requirements.lock), and run the
# README's first example against the installed package, from outside the source tree.
# Everything is built and installed under a temporary directory; .venv is only read (its
# setuptools, pybind11 and cmake build the wheel, as `make build` does).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
BUILD_PYTHON=${BUILD_PYTHON:-$ROOT/.venv/bin/python}
# The example runs on the CPU; the CUDA twin would add minutes of nvcc to the build.
export DGLGENE_CUDA=${DGLGENE_CUDA:-0}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

# Build from a copy of the tracked and new files, so no build output lands in the tree.
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C "$work/src"
"$BUILD_PYTHON" -m pip wheel --quiet --no-deps --no-build-isolation -w "$work/dist" "$work/src"
wheel=$(ls "$work"/dist/dglgene-*.whl)
echo "wheel-check: built $(basename "$wheel") in $((SECONDS - start)) s"

# The lock pins every package the wheel's dependencies resolve to; the data and test-only
# packages it installs with --no-deps are not needed by the example.
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$wheel" -c requirements.lock
"$work/venv/bin/python" -m pip check
echo "wheel-check: installed with its dependencies in $((SECONDS - start)) s"

cd "$work"  # not the source tree: the import must find the installed package
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$work/venv/bin/python" - <<'PY'
import dglgene as dg

from dglgene.ops.pair_overlaps import available_backends

assert "site-packages" in dg.__file__, dg.__file__
assert "cpp" in available_backends(), "the wheel lacks the native module dglgene._C"
sim = dg.datasets.simulate_collection(n_datasets=3, n_modules=4, genes_per_module=15,
                                      n_background=60, seed=0)
coll = dg.data.build_collection(sim.adatas, n_components=16)
print(coll.summary())
model = dg.models.MuSeGNN(coll, dim=32)
history = dg.train.fit(model, coll, epochs=5, seed=0)
emb = model.embed(coll)
assert emb.n_obs == sum(g.n_genes for g in coll) and emb.n_vars == 32, emb
print(emb)
PY
"$work/venv/bin/dglgene" --version
echo "wheel-check: passed in $((SECONDS - start)) s"
