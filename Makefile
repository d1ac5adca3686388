# Two commands do all the set-up on a fresh machine (see README):
#   make lab    create/refresh .venv, build and install everything, start JupyterLab
#   make test   the same set-up plus Chromium, then every check and test (and binder/verify.sh)
# Each target installs only what is missing or out of date.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.neurolake-installed
EXT := neurolake_lab/labextension/package.json
TS_SOURCES := $(shell find labextension/src labextension/style -type f 2>/dev/null) package.json tsconfig.json
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: lab test lint pytest jstest binder-verify bench install system-packages clean

# bench peers (jupysql's front-end plugin, pulled in by `make bench`) throw on every JupyterLab page
# load: the environment `make lab` starts keeps them disabled
BENCH_LAB_PEERS := jupysql-plugin

lab: install
	@for ext in $(BENCH_LAB_PEERS); do \
	  if $(BIN)/jupyter labextension list 2>&1 | grep -q "$$ext.*enabled"; then \
	    $(BIN)/jupyter labextension disable --level=sys_prefix "$$ext" >/dev/null 2>&1; fi; done
	$(BIN)/neurolake lab $(LAB_ARGS)

test: install system-packages lint jstest pytest binder-verify

install: $(STAMP) $(EXT)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# the extension builder (jupyter-builder) comes with JupyterLab's Python package
$(BIN)/jupyter-builder: $(BIN)/python
	$(BIN)/python -m pip install --quiet "jupyterlab>=4.6,<4.7"

$(EXT): $(BIN)/jupyter-builder node_modules/.package-lock.json $(TS_SOURCES)
	PATH="$(CURDIR)/$(BIN):$$PATH" npm run build:prod
	touch $@

$(STAMP): $(BIN)/python pyproject.toml $(EXT)
	# editable: Python changes apply at once; the kernelspec, the server config and the prebuilt
	# extension are copied into the venv's share/ (re-run when the extension is rebuilt)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Debian packages the tests use: Chromium (browser tests), PostgreSQL (the shared-catalog test),
# iproute2 (`ip netns`: the Ray cluster test runs each node in a network namespace)
system-packages:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; fi

lint: install
	$(BIN)/ruff check neurolake_lab tests bench
	$(BIN)/ruff format --check neurolake_lab tests bench
	$(BIN)/mypy
	npm run lint:check

jstest: install
	npm test

pytest: install system-packages
	$(BIN)/pytest $(PYTEST_ARGS)

# the Binder set-up in a clean venv and HOME: install, postBuild, start, notebooks (binder/README.md)
binder-verify: install
	bash binder/verify.sh

# every benchmark in bench/, shortest first (about 1.5 h on 2 cores); each prints when, on what
# load and at which commit it measured, and whether the result cache was on (bench/README.md)
BENCH := PYTHONPATH=. $(BIN)/python bench
bench: install
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	@# its front-end plugin would throw on every JupyterLab page (make lab's and the browser tests')
	@for ext in $(BENCH_LAB_PEERS); do \
	  $(BIN)/jupyter labextension disable --level=sys_prefix "$$ext" >/dev/null 2>&1 || true; done
	$(BENCH)/lineage_speed.py
	$(BENCH)/policy_overhead.py
	$(BENCH)/audit_append.py
	$(BENCH)/pii_f1.py
	$(BENCH)/pii_eval.py
	$(BENCH)/demo_generate.py --load
	$(BENCH)/lakehouse_append.py
	$(BENCH)/cost_preflight.py
	$(BENCH)/preflight_latency.py
	$(BENCH)/kernel_roundtrip.py
	$(BENCH)/where_time_goes.py
	$(BENCH)/nl_eval.py
	$(BENCH)/nl_accuracy.py
	$(BENCH)/cache_speed.py
	$(BENCH)/cost_qerror.py
	$(BENCH)/lakehouse_tpch.py
	$(BENCH)/tpch_engines.py --scale 0.1 --local
	$(BENCH)/write_costs.py
	$(BENCH)/cost_failures.py
	$(BENCH)/speed_probe.py --seconds 60

clean:
	rm -rf $(VENV) node_modules lib neurolake_lab/labextension test-artifacts
