# The two commands of the README: `make run` (the whole system, embedded) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# checkov pins an older boto3 than the project: it gets a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: run test lint unit clean system-packages lock

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

# checkov's JSONPath parser would build its parse tables again for every path: half its CPU.
CHECKOV_TABLES := $(CHECKOV_VENV)/.parse-tables
$(CHECKOV_TABLES): $(CHECKOV_STAMP) tests/infra/checkov_tables.py
	$(CHECKOV_VENV)/bin/python tests/infra/checkov_tables.py
	touch $(CHECKOV_TABLES)

# Debian's packages the tests use: chromium (browser tests, driven by Playwright; never downloaded by
# it), docker-compose (validates docker-compose.localstack.yml; no engine needed), and podman with
# debootstrap (the images run as Fargate runs them, on a base image made from Debian's packages) and
# runc: podman's other runtime, crun, cannot start a container under cgroups v1 in hybrid mode, as
# on these machines (the container tests pick whichever runtime starts one).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	command -v podman >/dev/null || missing="$$missing podman"; \
	PATH="/usr/sbin:/sbin:$$PATH" command -v runc >/dev/null || missing="$$missing runc"; \
	[ -x /usr/sbin/debootstrap ] || missing="$$missing debootstrap"; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

run: $(STAMP)
	$(PY) -m embedded

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set (as on these machines): without it
# every pytest process re-rewrites the asserts of its plugins' ~350 modules (schemathesis, hypothesis),
# about 4 s of CPU each, and every process of the system recompiles our modules.
test: lint $(CHECKOV_TABLES) system-packages
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n auto

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

# requirements*.in name what we depend on; requirements*.txt pin the whole closure (images and
# virtualenvs install those). After editing a .in file: make lock.
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --annotation-style=line
lock: $(STAMP)
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in
	$(LOCK) --output-file requirements-checkov.txt requirements-checkov.in

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .run test-output .pytest_cache .mypy_cache .ruff_cache
