# OpenSource14 website. `make serve` to preview, `make test` to check.
# Everything runs from a local virtual environment (.venv) that the targets
# create and keep in step with requirements.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# pelican, with every mistake reported as file:line: field: message (fix)
BUILD := $(PY) tools/build.py

INPUTDIR := content
OUTPUTDIR := output
CONFFILE := pelicanconf.py
PUBLISHCONF := publishconf.py
TRANSLATIONS := theme/translations

HOST ?= 127.0.0.1
PORT ?= 8000
# The newsletter sign-up service beside the site (0: do not start it).
NEWSLETTER_PORT ?= 8001

# Where `make github` publishes output/ (GitHub Pages serves this branch).
PUBLISH_REMOTE ?= origin
PUBLISH_BRANCH ?= gh-pages
CNAME ?=

.DEFAULT_GOAL := help
.PHONY: help install html serve devserver check test lint publish github translations clean \
	requirements new-post new-event hooks

help:
	@echo "make serve        install, build and serve the site at http://$(HOST):$(PORT)"
	@echo "                  with the newsletter sign-up service at http://$(HOST):$(NEWSLETTER_PORT)"
	@echo "make test         install and run every check (ruff, build, links, browser, HTML)"
	@echo "make install      create $(VENV) with the pinned dependencies"
	@echo "make html         build both languages into $(OUTPUTDIR)/"
	@echo "make devserver    serve and rebuild on changes to content, data, theme, plugins"
	@echo "make check        validate content/ and data/ without writing pages"
	@echo "make publish      build for production with $(PUBLISHCONF): needs SITEURL and"
	@echo "                  NEWSLETTER_ENDPOINT (https://) and privacy.controller in data/project.yaml"
	@echo "make github       make publish, then push $(OUTPUTDIR)/ to $(PUBLISH_REMOTE)/$(PUBLISH_BRANCH) with ghp-import"
	@echo "make new-post     start a news item dated today (a draft)"
	@echo "make new-event    start an event dated today in data/events.yaml"
	@echo "make hooks        check content and data before each commit (pre-commit)"
	@echo "make translations update the theme's catalogs in $(TRANSLATIONS)/"
	@echo "make clean        remove $(OUTPUTDIR)/ and caches"

# The virtual environment is rebuilt when requirements.txt changes.
$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

# The local build's form posts to the service `make serve` starts beside it.
ifneq ($(NEWSLETTER_PORT),0)
LOCAL_SETTINGS := -e 'NEWSLETTER_ENDPOINT="http://$(HOST):$(NEWSLETTER_PORT)/subscribe"'
endif

html: install
	$(BUILD) $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) $(LOCAL_SETTINGS)

serve: html
	$(PY) tools/serve.py --host $(HOST) --port $(PORT) --root $(OUTPUTDIR) \
		--newsletter-port $(NEWSLETTER_PORT)

devserver: install
	$(PY) tools/devserver.py --host $(HOST) --port $(PORT) --content $(INPUTDIR) \
		--output $(OUTPUTDIR) --settings $(CONFFILE) --newsletter-port $(NEWSLETTER_PORT)

check: install
	$(BUILD) $(INPUTDIR) -s $(CONFFILE) -e CHECK_ONLY=true

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

# The settings come from the environment (see publishconf.py); a missing or
# wrong one stops the build and output/ stays as it was.
publish: install
	$(BUILD) $(INPUTDIR) -o $(OUTPUTDIR) -s $(PUBLISHCONF)

# Builds for production first, as Pelican's own Makefile does: what is pushed
# is always a `make publish` build, never a preview left in output/.
github: publish
	$(BIN)/ghp-import --no-jekyll --push --force --remote $(PUBLISH_REMOTE) \
		--branch $(PUBLISH_BRANCH) $(if $(CNAME),--cname $(CNAME)) \
		--message "Publish $$(git rev-parse --short HEAD 2>/dev/null || echo site)" $(OUTPUTDIR)

new-post: install
	$(PY) tools/new.py post

new-event: install
	$(PY) tools/new.py event

hooks: install
	$(BIN)/pre-commit install

translations: install
	$(BIN)/pybabel extract -F theme/babel.cfg -k N_ -o $(TRANSLATIONS)/messages.pot \
		--no-location --sort-output --project=OpenSource14 \
		--copyright-holder="OpenSource14 contributors" theme plugins
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics
	@find $(TRANSLATIONS) -name '*.mo' -delete

clean:
	rm -rf $(OUTPUTDIR) $(OUTPUTDIR).building-* $(OUTPUTDIR).previous $(OUTPUTDIR).cache .pytest_cache .ruff_cache __pycache__
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

# Regenerate the pinned versions from requirements.in (maintainers only).
requirements: install
	$(PY) -m pip install --quiet --upgrade -r requirements.in
	( echo '# Generated from requirements.in by `make requirements`: exact versions of every package.'; \
	  $(PY) -m pip freeze --exclude pip ) > requirements.txt
