# Developer entry points. `make check` is what CI runs besides the README's test command.
PY ?= .venv/bin/python

.PHONY: venv check lint type test bench demo

venv:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'

lint:
	$(PY) -m ruff check monitor tests bench

type:
	$(PY) -m mypy --strict monitor
	$(PY) -m mypy tests

test:
	$(PY) -m pytest

check: lint type test

bench:
	$(PY) -m pip install --quiet 'urlwatch==2.29'
	$(PY) bench/run.py

demo:
	.venv/bin/ecmon demo
