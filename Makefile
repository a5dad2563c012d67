# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The Django plugin imports perfmgmt.settings. Without DATABASE_URL (and DEBUG on by default)
# settings would start the embedded PostgreSQL; with a URL they only parse it, and nothing
# connects, so this one points nowhere.
MYPY := DATABASE_URL=postgres://mypy@127.0.0.1:1/mypy-does-not-connect $(VENV)/bin/mypy

.PHONY: run test lint format install clean lock

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py runall

# Two test processes (pytest-xdist), one per core of the machine CI runs on; each has its own
# test database, and every test that starts a worker uses a queue of its own.
PYTEST_ARGS ?= -n 2

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(MYPY)

# The image installs exactly these versions, each checked against its hash. After changing the
# dependencies in pyproject.toml: make lock, then make install (the tests run on the same pins).
lock: $(STAMP)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var staticfiles
