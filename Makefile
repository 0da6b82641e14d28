# ShopFlow QA harness. `make gate` and `make test` do all set-up themselves, idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help setup browser allure test gate fault-matrix clean-stacks lint

help:
	@echo "make gate          post-deploy gate against the local stack (sets everything up)"
	@echo "make test          the harness's own tests (sets everything up)"
	@echo "make fault-matrix  every stack fault x every suite, by hand; writes a table to reports/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

setup: $(STAMP) browser allure

browser: $(STAMP)
	@$(BIN)/python -m shopflow_qa.cli.setup browser

allure: $(STAMP)
	@$(BIN)/python -m shopflow_qa.cli.setup allure

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

gate: setup
	$(BIN)/shopflow-qa gate

fault-matrix: setup
	$(BIN)/python benchmarks/fault_matrix.py

clean-stacks: $(STAMP)
	-$(BIN)/shopflow-qa stack down --all
