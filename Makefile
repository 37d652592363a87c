# Two entry points (see README): `make demo` runs the main job, `make test` runs the whole suite.
# Each creates its own virtualenv on first use; nothing else needs to be installed beforehand
# except python3 (>= 3.11), and for the cross-codec tests java (tests skip with a reason without it).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pnc demo

test: $(STAMP)
	$(PY) tests/peers/setup_peers.py || true
	$(PY) -m pytest -q -n 2 --dist loadgroup

bench: $(STAMP)  # every benchmark runs; the exit status says whether any missed its target
	status=0; for b in bench/*.py; do [ "$$b" = bench/api_server.py ] || $(PY) $$b || status=1; done; exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .venv-peer .pytest_cache var
