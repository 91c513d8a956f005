# The two commands a new user needs: `make acceptance` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
TAGS ?=
# Tags pass straight to behave: `make acceptance TAGS=@chat`, `TAGS="not @slow"`.
BEHAVE_TAGS := $(if $(TAGS),--tags="$(TAGS)",)
QUICK_TAGS := --tags="not @slow and not @load"

.PHONY: setup acceptance test unit-tests report steps clean

setup:
	@scripts/setup

# allure-behave never clears its results folder: start each run from an empty one.
acceptance: setup
	rm -rf reports/allure-results
	$(PY) -m behave $(BEHAVE_TAGS)

# tests/report renders a report in headless Chromium, which setup installs on request.
unit-tests: export WITH_BROWSER = 1
unit-tests: setup
	$(PY) -m pytest tests -q

test: unit-tests
	rm -rf reports/allure-results
	$(PY) -m behave $(QUICK_TAGS)

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
