# The two commands of the README: `make run` (the whole system, embedded) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# checkov pins an older boto3 than the project: it gets a virtualenv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# LocalStack, which the LocalStack tests run on the host, needs Python 3.12+ (its CloudFormation does):
# the first of python3.13, python3.12 and pyenv's 3.12+ that runs. None: the venv is not built, and
# those tests say why (they fail in CI, are skipped elsewhere).
LOCALSTACK_VENV := .venv-localstack
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed
LOCALSTACK_PYTHON := $(shell for python in python3.13 python3.12 $$(ls -rd $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	$$python -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null && break; done)

.PHONY: run test lint unit clean system-packages lock localstack

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

$(LOCALSTACK_STAMP): requirements-localstack.txt
	rm -rf $(LOCALSTACK_VENV)
	$(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet -r requirements-localstack.txt
	touch $(LOCALSTACK_STAMP)

localstack: $(if $(LOCALSTACK_PYTHON),$(LOCALSTACK_STAMP))
	@[ -n "$(LOCALSTACK_PYTHON)" ] || echo "No Python 3.12+ (python3.13, python3.12, pyenv's): LocalStack not installed"

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
# Two pytest processes per core: the suite mostly waits on the systems it starts (with one process per
# core, as `-n auto` has it, 0.9 of 2 cores were busy and pytest took 325 s; with two, 1.4 and 228 s).
TEST_PROCESSES ?= $(shell echo $$(( 2 * $$(nproc) )))
test: lint $(CHECKOV_TABLES) localstack system-packages
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_PROCESSES)

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

# requirements*.in name what we depend on; requirements*.txt pin the whole closure (images and
# virtualenvs install those). After editing a .in file: make lock. LocalStack's are pinned with pip-tools
# under the Python it runs on (3.12+), in a virtualenv made for that and thrown away.
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --annotation-style=line
lock: $(STAMP)
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in
	$(LOCK) --output-file requirements-checkov.txt requirements-checkov.in
	@[ -n "$(LOCALSTACK_PYTHON)" ] || { echo "make lock needs Python 3.12+ to pin LocalStack's requirements"; exit 1; }
	rm -rf .venv-lock-localstack
	$(LOCALSTACK_PYTHON) -m venv .venv-lock-localstack
	.venv-lock-localstack/bin/python -m pip install --quiet pip==26.3 pip-tools==7.6.2
	$(subst $(VENV)/bin/pip-compile,.venv-lock-localstack/bin/pip-compile,$(LOCK)) \
		--output-file requirements-localstack.txt requirements-localstack.in
	rm -rf .venv-lock-localstack

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(LOCALSTACK_VENV) .run test-output .pytest_cache .mypy_cache .ruff_cache
