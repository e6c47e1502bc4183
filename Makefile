# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Every install takes its versions from the lock (constraints.txt); `make lock` renews it.
CONSTRAINTS := constraints.txt
LOCK_VENV := .lock-venv

.PHONY: run test lint screenshots bench clean lock

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/harbor db upgrade
	$(BIN)/harbor demo load
	$(BIN)/harbor run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

screenshots: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/browser/test_screenshots.py tests/browser/test_insights_browser.py --screenshots

bench: $(STAMP)
	$(BIN)/harbor bench all

# Resolve the newest versions pyproject.toml allows in a throwaway venv, and pin them all.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' $(CONSTRAINTS); $(LOCK_VENV)/bin/pip freeze --exclude-editable; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) $(LOCK_VENV) instance .pytest_cache
