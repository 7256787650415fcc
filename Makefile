# Every target builds its own virtualenv from this repository's files:
# a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: test lint demo bench bench-1m bench-allchange check clean screenshot

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,notify]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -n 4

lint: $(STAMP)
	$(BIN)/ruff check tracker tests bench
	$(BIN)/ruff format --check tracker tests bench
	$(BIN)/mypy

check: lint test

demo: $(STAMP)
	$(BIN)/smm-tracker demo

# docs/dashboard-*.png: the dashboard over a fresh demo database, taken with the
# distribution's headless Chromium (the script says how to install it if missing).
screenshot: $(STAMP)
	$(BIN)/python scripts/screenshot.py docs

# Poll cycles over 10k and 100k tracked orders against the simulated panel
# (50 ms per request, 4 in flight); figures as a table and bench/results/*.json.
bench: $(STAMP)
	$(BIN)/python -m bench

# The same, with a million orders too (about ten minutes, ~1 GB of disk).
bench-1m: $(STAMP)
	$(BIN)/python -m bench --million

# Every order's status and remains change in the measured poll (issue #15):
# 20k and 100k orders at concurrency 4 and 8, whole `run --once` processes.
bench-allchange: $(STAMP)
	$(BIN)/python -m bench.allchange

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
