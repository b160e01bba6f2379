# The two commands of the README, and their helpers. Everything else is set up by these.
#   make run   - install, build assets, upgrade the SQLite database, load demo data, serve :5000
#                and run the scheduled jobs beside the server (mail written to instance/mail/)
#   make test  - install, lint, run the whole suite (and again on ASSESSMENT_TEST_DATABASE_URL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := assessment_engine/static/dist/.built
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Where the file mail backend writes in development (the app's default: instance/mail).
MAIL_DIR := instance/mail

.PHONY: run test lint format bench install assets clean check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(INSTALLED): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(ASSETS): node_modules/.package-lock.json $(wildcard assessment_engine/static/src/*)
	npm run --silent build
	@touch $@

install: $(INSTALLED) $(ASSETS)

assets: $(ASSETS)

run: install
	ASSESSMENT_ENV=development $(FLASK) db upgrade
	ASSESSMENT_ENV=development $(FLASK) demo
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop), with the scheduled jobs beside it."
	@echo "Development mail (same-day and urgent referrals, daily digests) is written to $(MAIL_DIR)/"
	@ASSESSMENT_ENV=development ASSESSMENT_NOTIFICATIONS_BASE_URL=http://$(HOST):$(PORT) \
		$(FLASK) run-scheduled & scheduled=$$!; \
	trap 'kill $$scheduled 2>/dev/null' EXIT INT TERM; \
	ASSESSMENT_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python tools/check_changes.py

# pytest exits 5 when it collects no test; make treats that as a failure, as it should.
# With ASSESSMENT_TEST_DATABASE_URL set, the PostgreSQL pass runs beside the SQLite one (each pass
# is one process; machines here have two cores) and its output is printed when both are done.
# The browser tests run once: their live server is SQLite whichever database the suite is on.
# Alone, they run in the SQLite pass; beside the PostgreSQL pass, in that pass, which is otherwise
# the shorter (SQLite with coverage plus the browser took twice the PostgreSQL pass).
# JUNIT_DIR=dir writes dir/sqlite.xml and dir/postgresql.xml.
# The SQLite pass measures branch coverage and prints it (setup.cfg's [coverage:*]; the floor
# holds without the browser tests); its floor (fail_under) holds for the whole suite only, so a
# run narrowed by PYTEST_ARGS just prints it.
COVERAGE := --cov --cov-report=term:skip-covered $(if $(PYTEST_ARGS),--cov-fail-under=0)
test: install lint
	@if [ -z "$$ASSESSMENT_TEST_DATABASE_URL" ]; then \
		$(BIN)/pytest $(COVERAGE) $(PYTEST_ARGS) $(if $(JUNIT_DIR),--junitxml=$(JUNIT_DIR)/sqlite.xml); \
	else \
		mkdir -p test-results; log=test-results/postgresql.log; \
		echo "== the PostgreSQL pass runs beside this one; its output is in $$log"; \
		$(BIN)/pytest $(PYTEST_ARGS) \
			$(if $(JUNIT_DIR),--junitxml=$(JUNIT_DIR)/postgresql.xml) >$$log 2>&1 & pg=$$!; \
		trap 'kill $$pg 2>/dev/null' INT TERM; \
		env -u ASSESSMENT_TEST_DATABASE_URL $(BIN)/pytest --ignore=tests/browser $(COVERAGE) $(PYTEST_ARGS) \
			$(if $(JUNIT_DIR),--junitxml=$(JUNIT_DIR)/sqlite.xml); sqlite=$$?; \
		wait $$pg; postgres=$$?; \
		echo "== the PostgreSQL pass:"; cat $$log; \
		echo "== SQLite pass exited $$sqlite, PostgreSQL pass exited $$postgres"; \
		[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]; \
	fi

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python tests/benchmarks/run.py

clean:
	rm -rf $(VENV) node_modules assessment_engine/static/dist .pytest_cache .ruff_cache .mypy_cache
