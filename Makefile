# The two commands a new user needs: `make run` (the lab's main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lab bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## the lab's main job, headless
run: $(STAMP)
	$(BIN)/labkit run

## the whole test suite
test: $(STAMP)
	$(BIN)/pytest

## JupyterLab with the provider (and service) running
lab: $(STAMP)
	$(BIN)/labkit lab

clean:
	rm -rf var .pytest_cache
