# Everything a developer needs: `make run` starts the product, `make test` checks it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(PYTHON) -m uv
BACKEND_PORT ?= 8000
FRONTEND_PORT ?= 8501
STACK_PORT ?= 8080
CLUSTER_PORT ?= 8090

.PHONY: install bytecode run backend frontend stack cluster infra-check test test-fast lint format walkthrough bench clean

install: $(VENV)/.installed

# the Makefile too: a change to how the venv is made (e.g. --compile-bytecode) reaches it
$(VENV)/.installed: pyproject.toml uv.lock Makefile
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv
	@# installs the project itself too, editable: `app`, `ui` and `shared` (pyproject.toml)
	@# bytecode compiled once here: every server, worker and UI process the product and its
	@# tests start reads it instead of compiling the libraries' sources again (which it
	@# does on each start where PYTHONDONTWRITEBYTECODE is set or site-packages is read-only)
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --compile-bytecode
	@touch $@

run: install bytecode
	BACKEND_PORT=$(BACKEND_PORT) FRONTEND_PORT=$(FRONTEND_PORT) scripts/run.sh

backend: install bytecode
	BACKEND_PORT=$(BACKEND_PORT) $(PY) -m app

frontend: install bytecode
	$(PY) -m ui

# the compose topology without Docker: backend, frontend and Debian's nginx on STACK_PORT
stack: install
	@scripts/install-system-deps.sh
	STACK_PORT=$(STACK_PORT) PYTHONPATH=$(CURDIR) $(PY) scripts/stack.py

# the scale-out topology without Docker: a Dask scheduler and 2 workers, 2 API replicas
# (PostgreSQL: DATABASE_URL, or the server on 127.0.0.1:5432), the UI, nginx on CLUSTER_PORT
cluster: install
	@scripts/install-system-deps.sh
	CLUSTER_PORT=$(CLUSTER_PORT) PYTHONPATH=$(CURDIR) $(PY) scripts/cluster.py

# compose files through Docker Compose's own parser, nginx config through `nginx -t` (no engine)
infra-check: install
	@scripts/install-system-deps.sh
	$(VENV)/bin/pytest infra/tests -m "not stack and not container and not cluster"

# the project's own sources, compiled as the libraries are at install (they change more often)
bytecode: install
	@$(PY) -m compileall -q backend/app frontend/ui shared testkit

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# with the container suite (root and apt: it installs podman & co. itself, else it skips)
test: lint bytecode
	scripts/install-system-deps.sh --containers
	$(VENV)/bin/pytest

test-fast: install bytecode
	$(VENV)/bin/pytest -m "not browser and not keras and not stack and not container and not cluster"

walkthrough: install bytecode
	$(PY) scripts/walkthrough.py

# serving benchmarks (minutes; each script also runs alone): tables on stdout, JSON in bench/results/
bench: install
	$(PY) bench/bench_online.py
	$(PY) bench/bench_batch_csv.py
	$(PY) bench/bench_training.py
	$(PY) bench/bench_mlflow.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache textclf.egg-info
