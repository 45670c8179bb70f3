# Two commands: `make run` and `make test`. Everything else is a helper of theirs.
PORT ?= 8000
VENV := .venv
UV := .tools/bin/uv
PYTHON ?= python3

.PHONY: run test setup lint bench clean docs

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==0.13.8

setup: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	@# Our own modules too (uv compiles what it installs). Where PYTHONDONTWRITEBYTECODE is
	@# set, as on the machines this project is tested on, Python never caches bytecode itself,
	@# and every `leadflow` command, server and test subprocess compiled some 700 modules
	@# afresh: about 2 s of CPU each.
	$(VENV)/bin/python -m compileall -q src tests bench

## make run: set up, migrate, create the demo company (prints keys and curl examples), serve
run: setup
	$(VENV)/bin/leadflow db upgrade
	PORT=$(PORT) $(VENV)/bin/leadflow demo
	PORT=$(PORT) $(VENV)/bin/leadflow serve --host 0.0.0.0 --migrate

## make test: set up, run the whole suite on SQLite and PostgreSQL, build the docs strictly
test: setup
	bash scripts/ensure-test-tools.sh
	@# The web app's browser tests drive Debian's Chromium (headless) through Playwright.
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" -eq 0 ]; then \
	  echo "installing chromium ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@# Two processes (pytest-xdist): the suite waits on servers and subprocesses as much as on CPU.
	@# worksteal: the process that runs out of tests takes the other's, so the minute-long
	@# tests (the docs examples, the browser walks) do not leave one process idle at the end.
	$(VENV)/bin/pytest -q -n 2 --dist worksteal $(PYTEST_ARGS)
	$(MAKE) docs

## make docs: build the docs site (docs/, mkdocs.yml) into var/site; --strict fails on any warning
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/python bench/intake.py

clean:
	rm -rf $(VENV) .tools var
