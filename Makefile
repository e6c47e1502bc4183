# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint screenshots bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/harbor db upgrade
	$(BIN)/harbor demo load
	$(BIN)/harbor run --host 127.0.0.1 --port 5000

# Tests marked slow (the attacks and end-to-end runs under gunicorn) run in .ci/run.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

screenshots: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/browser/test_screenshots.py tests/browser/test_insights_browser.py --screenshots

bench: $(STAMP)
	$(BIN)/harbor bench all

clean:
	rm -rf $(VENV) instance .pytest_cache
