# `make run` serves the platform on its embedded default; `make test` is the quick test loop,
# `make test-all` the whole suite (what CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers: one per CPU core by default.
TEST_WORKERS ?= auto

.PHONY: run test test-all install install-dev lock migrate lint typecheck format messages worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The lock files pin every package with its hashes; pip refuses anything that is not pinned
# there or whose download does not match. requirements-dev.txt holds the runtime pins too.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(VENV)/.runtime $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Regenerate the hashed lock files from requirements.in / requirements-dev.in, keeping every pin
# that still fits (the dev lock is constrained by requirements.txt, so both agree). To move a
# package: `make lock UPGRADE="--upgrade-package Django"` (or `--upgrade-package Django==5.2.20`;
# `--upgrade` moves everything).
UPGRADE ?=
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(UPGRADE)
lock: install-dev
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/daphne -b $(HOST) -p $(PORT) studymate_api.asgi:application

# In parallel, without the tests that start real processes (marked e2e in pytest.ini).
test: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not e2e"

# Everything: the quick part in parallel, then the e2e tests one at a time (they start servers,
# workers and databases of their own, and wait on them with timeouts sized for one at a time).
# Both parts always run; either failing fails the target.
test-all: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not e2e"; quick=$$?; \
	$(BIN)/pytest -m e2e; e2e=$$?; \
	test $$quick -eq 0 && test $$e2e -eq 0

# Style, then the architecture: import boundaries (contracts in pyproject.toml) and dead code.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	bash scripts/dead_code.sh

typecheck: install-dev
	$(BIN)/mypy .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install-dev
	$(BIN)/python manage.py makemessages -l ko --ignore "$(VENV)/*" --ignore "tests/*" --ignore "bench/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore "$(VENV)/*"

worker: install
	$(BIN)/celery -A studymate_api worker --loglevel INFO

beat: install
	$(BIN)/celery -A studymate_api beat --loglevel INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache
