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

# Each tool runs from its own runtime-only venv (no test extras: httpx imports trio and rich
# whenever they are installed), as a user's pip/pipx install would run it.
BENCH_VENVS ?= bench/out/venvs
bench:
	rm -rf $(BENCH_VENVS) && mkdir -p $(BENCH_VENVS)
	python3 -m venv $(BENCH_VENVS)/ecmon && $(BENCH_VENVS)/ecmon/bin/pip install --quiet .
	python3 -m venv $(BENCH_VENVS)/urlwatch && $(BENCH_VENVS)/urlwatch/bin/pip install --quiet 'urlwatch==2.29'
	ECMON_BENCH_ECMON=$(BENCH_VENVS)/ecmon/bin/ecmon ECMON_BENCH_URLWATCH=$(BENCH_VENVS)/urlwatch/bin/urlwatch \
		$(PY) bench/run.py $(BENCH_ARGS)

demo:
	.venv/bin/ecmon demo
