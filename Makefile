# The two commands a newcomer needs:  make run   and   make test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR_SDK := ops_app/static/vendor/superset-embedded-sdk.js
# Superset in its own venv: it pins SQLAlchemy 1.4 / pandas 2.1, the main venv SQLAlchemy 2.
SUPERSET_VENV := .venv-superset
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed
SUPERSET_PORT ?= 8088

.PHONY: run prepare test setup dagster superset clean-var

DEMO_PERSONS ?= 2000

# Main job on the embedded default (SQLite under var/): install, migrate, load reference data, make a small
# synthetic data set, then serve the app with a demo administrator (password printed; changed at first login).
run: prepare
	$(BIN)/archives serve --dev

prepare: setup
	$(BIN)/archives db upgrade
	$(BIN)/archives db seed
	$(BIN)/archives db check
	$(BIN)/archives users init-roles
	$(BIN)/archives synth --persons $(DEMO_PERSONS) --seed 20211231 --out var/synth --quiet
	$(BIN)/archives ingest --landing var/synth/landing --feeds var/synth/feeds
	$(BIN)/archives synth history --seed 20211231 --quiet
	$(BIN)/archives analytics build
	./scripts/demo-admin.sh

# All tests, on SQLite and on MariaDB/MySQL (TEST_MYSQL_URL, default root@127.0.0.1:3306).
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(STAMP) $(SUPERSET_STAMP) $(VENDOR_SDK)

# Browser packages from the npm registry (pinned in package-lock.json), copied into the app's static folder:
# the pages load them from the app, never from a CDN.
$(VENDOR_SDK): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --silent
	mkdir -p $(dir $@)
	cp node_modules/@superset-ui/embedded-sdk/bundle/index.js $@

$(STAMP): requirements/main.txt requirements/system.txt pyproject.toml
	./scripts/install-system-packages.sh requirements/system.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/main.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import archives_domain, sqlalchemy, alembic, stdnum, cryptography, dagster, flask_appbuilder"
	touch $(STAMP)

$(SUPERSET_STAMP): requirements/superset.txt
	test -x $(SUPERSET_VENV)/bin/python || $(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/superset.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(SUPERSET_VENV)/bin/python -c "import superset, authlib, cachetools, pymysql, redis, gunicorn"
	touch $(SUPERSET_STAMP)

# Superset on :$(SUPERSET_PORT): key file, metadata db upgrade, init, sync (bi/assets, roles, RLS, users), gunicorn.
superset: setup
	$(BIN)/archives superset serve --port $(SUPERSET_PORT)

# The Dagster UI on the same code location (instance storage under var/dagster; MySQL if ARCHIVES_DAGSTER_MYSQL_URL).
dagster: setup
	DAGSTER_HOME=$(CURDIR)/var/dagster $(BIN)/python -m pipelines.instance
	DAGSTER_HOME=$(CURDIR)/var/dagster $(BIN)/dagster dev -w workspace.yaml

clean-var:
	rm -rf var/
