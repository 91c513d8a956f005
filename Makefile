# The two commands a new user needs: `make acceptance` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
TAGS ?=
# Tags pass straight to behave: `make acceptance TAGS=@chat`, `TAGS="not @slow"`.
BEHAVE_TAGS := $(if $(TAGS),--tags="$(TAGS)",)
QUICK_TAGS := --tags="not @slow and not @load"
# Scenarios run in PROCESSES processes, each on its own embedded stack: auto is what this
# machine carries (scripts/scenarios says how it is chosen), 1 a plain behave run.
PROCESSES ?= auto
SCENARIOS := $(PY) scripts/scenarios --processes $(PROCESSES)

.PHONY: setup setup-browser acceptance test unit-tests lint mutants soak report steps clean

# What each target needs is asked for by name (scripts/setup --list shows them), never
# through a variable: make builds a prerequisite once, so a variable set for one target
# would be lost when another built it first.
setup:
	@scripts/setup

setup-browser:
	@scripts/setup browser

# allure-behave never clears its results folder: start each run from an empty one.
acceptance: setup
	rm -rf reports/allure-results
	$(SCENARIOS) $(BEHAVE_TAGS)

# tests/report renders a report in headless Chromium.
unit-tests: setup-browser
	$(PY) -m pytest tests -q

test: lint unit-tests
	rm -rf reports/allure-results
	$(SCENARIOS) $(QUICK_TAGS)
	$(PY) tests/mutants/run.py --fast --jobs $(PROCESSES)

# The suite without @slow and @load RUNS times (default 20); prints the flaky scenarios.
# LOADED=1 keeps one core busy meanwhile.
RUNS ?= 20
soak: setup
	$(PY) scripts/soak --runs $(RUNS) --processes $(PROCESSES) $(if $(LOADED),--loaded,)

# ruff, every step defined and used, gherkin-lint with the rules of .gherkin-lintrc.
lint: setup
	$(PY) scripts/lint

# Seeded engine defects the suite must catch (tests/mutants/defects.toml), those of the @load
# scenarios included; FAST=1 for the few make test runs, ONLY="name ..." for some.
mutants: setup
	$(PY) tests/mutants/run.py --jobs $(PROCESSES) $(if $(FAST),--fast,--with-load) $(if $(ONLY),--only $(ONLY),)

report:
	@scripts/report

# A benchmark, not a test: the engine beside its parts, on its own embedded stack.
.PHONY: bench
bench: setup
	$(PY) -m support.load.bench

steps: setup
	@scripts/steps-catalog

clean:
	rm -rf reports .pytest_cache
