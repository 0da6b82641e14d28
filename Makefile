# ShopFlow QA harness. `make gate` and `make test` do all set-up themselves, idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The harness's own tests run on both cores, one test file per worker (files share stacks).
# They are named explicitly: a bare `pytest` runs suites/ (pyproject's testpaths).
PYTEST_ARGS ?= -n 2 --dist loadfile
TESTS ?= tests

.PHONY: help setup bytecode browser allure axe proxy test lint gate fault-matrix clean-stacks

help:
	@echo "make gate          post-deploy gate against the local stack (sets everything up)"
	@echo "make test          lint (ruff, mypy, import contracts, dead code), then the harness's own tests (TESTS=tests/plugin for some)"
	@echo "make lint          only the static checks"
	@echo "make fault-matrix  every stack fault x every suite, by hand; writes a table to reports/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) bytecode browser allure axe proxy

# The harness's modules compiled ahead: where PYTHONDONTWRITEBYTECODE is set (these machines, many CI
# images) every `shopflow-qa`, pytest worker and Locust process would otherwise compile them again at
# start. Only changed files are compiled again.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 shopflow_qa shopflow_stack suites tests benchmarks conftest.py

browser: $(STAMP)
	@$(BIN)/python -m shopflow_qa.cli.setup browser

allure: $(STAMP)
	@$(BIN)/python -m shopflow_qa.cli.setup allure

axe: $(STAMP)
	@$(BIN)/python -m shopflow_qa.cli.setup axe

# nginx for the staging rehearsal in tests/rehearsal/ (a TLS reverse proxy in front of the stack)
proxy: $(STAMP)
	@$(BIN)/python -m shopflow_qa.cli.setup proxy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture

test: setup lint
	$(BIN)/python -m pytest $(PYTEST_ARGS) $(TESTS)

gate: setup
	$(BIN)/shopflow-qa gate

fault-matrix: setup
	$(BIN)/python benchmarks/fault_matrix.py

clean-stacks: $(STAMP)
	-$(BIN)/shopflow-qa stack down --all
