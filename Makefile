# DPO Portal: developer and CI entry points.
#
#   make install   system packages (only when missing), .venv, requirements (only when changed)
#   make run       migrate, translations, demo data, then web + worker + beat (+ redis) via honcho
#   make test      the whole pytest suite (browser tests included) against a throwaway
#                  PostgreSQL and Redis (tests/services.sh); extra pytest args: PYTEST_ARGS=...
#   make lint      ruff format --check + ruff check           make fmt   fix what ruff can
#   make messages  refresh the az/en catalogues and compile them
#   make check     missing migrations + `check --deploy` with production settings

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
REQUIREMENTS := requirements.txt

# libpango and the DejaVu fonts: WeasyPrint (PDF letters and certificates); poppler-utils: the
# tests read the PDFs back (pdftotext); dovecot-imapd: the mailbox-intake tests' IMAP server;
# mariadb-server: the MySQL/MariaDB connector tests' source database.
APT_PACKAGES := redis-server dovecot-imapd mariadb-server chromium gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_ARGS ?=
# `check --deploy` fails on warnings too, not only on errors.
CHECK_FAIL_LEVEL ?= WARNING

# Anything found by `compilemessages`/`makemessages` outside our own code is not ours to touch.
I18N_IGNORE := -i .venv -i var -i bench -i tests -i node_modules -i staticfiles

# Installs Debian packages that are not installed yet; does nothing (and no apt-get update)
# when they all are. Uses sudo when not root.
define apt_ensure
missing=""; \
for pkg in $(1); do \
  dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q 'install ok installed' \
    || missing="$$missing $$pkg"; \
done; \
if [ -n "$$missing" ]; then \
  echo "Installing Debian packages:$$missing"; \
  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
  $$sudo apt-get update; \
  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
fi
endef

# Exit status 0 when the staticfiles storage needs `collectstatic` (manifest storage), 1 otherwise.
NEEDS_COLLECTSTATIC := $(MANAGE) shell -v 0 -c "import sys; from django.conf import settings as s; \
sys.exit(0 if s.STATIC_ROOT and 'Manifest' in s.STORAGES['staticfiles']['BACKEND'] else 1)"

.PHONY: help install system-deps postgres-deps venv run test lint fmt messages check \
	compilemessages

help:
	@awk '/^#   make / {on = 1} on && !/^#/ {exit} on {sub(/^#   /, ""); print}' Makefile

# --- installation ------------------------------------------------------------------------------

install: system-deps venv

system-deps:
	@$(call apt_ensure,$(APT_PACKAGES))

# PostgreSQL server binaries are needed by `make test` only.
postgres-deps:
	@if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then \
	  $(call apt_ensure,postgresql); \
	fi

venv: $(STAMP)

$(PY):
	$(PYTHON_BIN) -m venv $(VENV)

$(STAMP): $(REQUIREMENTS) | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r $(REQUIREMENTS)
	touch $@

# --- run ---------------------------------------------------------------------------------------

run: export DEBUG := 1
run: export SECRET_KEY ?= dev-only-insecure-secret-key-do-not-use-in-production
run: export REDIS_URL := $(REDIS_URL)
run: export PYTHONUNBUFFERED := 1
run: export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
run: install
	mkdir -p var/redis
	$(MANAGE) migrate --noinput
	$(MAKE) --no-print-directory compilemessages
	$(MANAGE) load_demo
	if $(NEEDS_COLLECTSTATIC); then $(MANAGE) collectstatic --noinput -v 0; fi
	@echo
	@echo "Admin: http://127.0.0.1:8000/admin/"
	$(MANAGE) demo_logins
	@echo
	$(MANAGE) api_demo_curl
	@echo
	@if redis-cli -u "$$REDIS_URL" ping >/dev/null 2>&1; then \
	  echo "Redis already answers at $$REDIS_URL; not starting another."; \
	  exec $(VENV)/bin/honcho -f Procfile start web worker beat; \
	else \
	  exec $(VENV)/bin/honcho -f Procfile start; \
	fi

# Compiles our catalogues only (never third-party ones under .venv); skipped when there are none.
compilemessages: export DEBUG ?= 1
compilemessages: venv
	@if find . -path ./.venv -prune -o -name '*.po' -print -quit | grep -q .; then \
	  $(MANAGE) compilemessages $(I18N_IGNORE) -v 0; \
	fi

# --- test --------------------------------------------------------------------------------------

test: export SECRET_KEY := test-secret
test: install postgres-deps
	$(MAKE) --no-print-directory compilemessages
	tests/services.sh $(VENV)/bin/pytest $(PYTEST_ARGS)
bench: install postgres-deps
	tests/services.sh bench/run.sh

# --- code quality ------------------------------------------------------------------------------

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: export DEBUG := 1
messages: install
	$(MANAGE) makemessages -l az -l en $(I18N_IGNORE)
	$(MAKE) --no-print-directory compilemessages

check: install
	DEBUG=1 $(MANAGE) makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	  ALLOWED_HOSTS=example.org $(MANAGE) check --deploy --fail-level $(CHECK_FAIL_LEVEL)
