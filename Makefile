# Two commands for a newcomer: `make demo` runs the site, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The demo shows the site's own error pages; `make demo DEMO_DEBUG=1` for Django's technical ones.
DEMO_DEBUG ?= 0

.PHONY: demo test install install-dev chromium migrate lint format bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make demo: SQLite, demo content, SumUp sandbox, e-mail to var/mail/, site on :8000
demo: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py load_demo_content
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py ensure_demo_admin
	@echo ""
	@echo "  Site:  http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/  (user: admin)"
	@echo "  Mail:  var/mail/  (ticket e-mails are written here)"
	@echo ""
	DJANGO_SETTINGS_MODULE=config.settings.dev SITE_URL=http://$(HOST):$(PORT) DEBUG=$(DEMO_DEBUG) \
		$(PY) manage.py run_demo --addrport $(HOST):$(PORT)

## make test: the whole suite; on PostgreSQL when DATABASE_URL is set, else SQLite.
## Brings what the tests need: the Python packages, and Debian's chromium for the browser tests.
test: install-dev chromium
	$(PY) -m pytest $(PYTEST_ARGS)

chromium:
	@sh scripts/ensure_chromium.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache
