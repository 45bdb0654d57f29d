# The two commands a newcomer needs: `make run` and `make test`. Everything else is for operators and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test lint migrate bench load fuzz e2e drills clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: start the Procfile's web (gunicorn on $(HOST):$(PORT)), worker and scheduler in the embedded mode
## (SQLite + database cache, the broker a folder under var/), DEBUG on; Ctrl-C stops all three
run: $(VENV)/.runtime
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py createcachetable
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "API docs: http://$(HOST):$(PORT)/api/v1/docs/  (ReDoc: /api/v1/redoc/, schema: /api/v1/schema/)"
	@echo "Admin:    http://$(HOST):$(PORT)/admin/  (create a user: .venv/bin/python manage.py createsuperuser)"
	DEBUG=$${DEBUG:-true} HOST=$(HOST) PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start -f Procfile -p $(PORT)

## test: the whole suite with coverage (honours DATABASE_URL / REDIS_URL); one module that fails to import
## still fails the run, but no longer hides every other test's result
test: $(VENV)/.dev
	$(BIN)/python -m pytest --cov --cov-report=term --continue-on-collection-errors $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r accounts audit background configurations core downloads health uploads webhooks config oauth

migrate: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput

bench: $(VENV)/.dev
	$(BIN)/python -m bench

## load: locust against gunicorn + PostgreSQL + Redis (LOAD_USERS=100, LOAD_TIME=3m); reports/load/
load: $(VENV)/.dev
	$(BIN)/python -m loadtests.run

## fuzz: schemathesis over every operation against a live gunicorn; reports/schemathesis/
fuzz: $(VENV)/.dev
	$(BIN)/python -m tests.fuzz.run_schemathesis

## drills: fault drills (database, Redis, killed worker, full disk) against real gunicorn; needs root
drills: $(VENV)/.dev
	$(BIN)/python -m pytest tests/drills -p no:cacheprovider -s -v $(PYTEST_ARGS)

## e2e: headless Chromium through the admin and Swagger UI; screenshots in reports/e2e/
e2e: $(VENV)/.dev
	$(BIN)/python -m pytest tests/e2e -p no:cacheprovider -s -v $(PYTEST_ARGS)

clean:
	rm -rf var/test .pytest_cache .coverage htmlcov
