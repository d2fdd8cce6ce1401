# Växthuset Network: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PIP_QUIET := --quiet --disable-pip-version-check
PO_FILES := $(wildcard network/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test burst translations extract-messages clean

run: $(VENV)/.installed $(MO_FILES)
	$(FLASK) prepare
	NETWORK_HTTPS=false NETWORK_REQUIRE_2FA_ROLES='[]' $(FLASK) run --host 127.0.0.1 --port 5000

# One worker per core (pytest-xdist), each on its own database; idle workers steal queued tests
# (the tests' lengths differ a hundredfold, so fixed shares leave one worker waiting).
test: $(VENV)/.installed-dev $(MO_FILES)
	$(BIN)/pytest -n auto --dist worksteal $(PYTEST_ARGS)

# Nothing lost under load (scripts/burst.py, docs/reliability.md): gunicorn with 4 workers, 50 members x 100
# replies to one thread. `make burst DB=postgresql://postgres@127.0.0.1/burst` (dropped and created afresh),
# `KILL=1` SIGKILLs a worker mid-burst.
DB ?= sqlite
burst: $(VENV)/.installed $(MO_FILES)
	$(BIN)/python scripts/burst.py --db $(DB) $(if $(KILL),--kill-worker) $(BURST_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install $(PIP_QUIET) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install $(PIP_QUIET) -e '.[dev]'
	touch $@ $(VENV)/.installed

translations: $(MO_FILES)

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Refresh the catalogs after changing user-facing strings.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o network/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i network/translations/messages.pot -d network/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache
