# The two commands a new user needs: `make acceptance` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
TAGS ?=
# Tags pass straight to behave: `make acceptance TAGS=@chat`, `TAGS="not @slow"`.
BEHAVE_TAGS := $(if $(TAGS),--tags="$(TAGS)",)
QUICK_TAGS := --tags="not @slow and not @load"

.PHONY: setup acceptance test unit-tests clean

setup:
	@scripts/setup

acceptance: setup
	$(PY) -m behave $(BEHAVE_TAGS)

unit-tests: setup
	$(PY) -m pytest tests -q

test: unit-tests
	$(PY) -m behave $(QUICK_TAGS)

clean:
	rm -rf reports .pytest_cache
