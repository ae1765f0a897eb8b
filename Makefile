# rdv — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: run test venv frontend bench reliability check clean-data asyncapi audit

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

venv: $(STAMP)

# Front-end libraries come from the npm registry, pinned by package-lock.json, into node_modules/ (ignored).
$(NPM_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $(NPM_STAMP); \
	else echo "npm absent : l'interface sera servie sans bibliothèques front-end"; fi

frontend: $(if $(wildcard package.json),$(NPM_STAMP),)

run: venv frontend
	$(BIN)/rdv up

test: venv frontend
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python -m bench

reliability: venv
	rm -f test-artifacts/reliability.json
	RDV_RELIABILITY=full $(BIN)/python -m pytest tests/reliability -s
	$(BIN)/python -m tests.reliability.report

check: venv
	$(BIN)/rdv check

clean-data:
	rm -rf .rdv

# the AsyncAPI 3 document of the events (docs/asyncapi.yaml), from shared/events.py
asyncapi: venv
	$(BIN)/rdv asyncapi

# Known vulnerabilities: pip-audit (pinned here) on the Python dependencies, npm audit on the front-end's.
# Exit 1 = vulnerabilities; exit 2 = a vulnerability database cannot be reached from this machine (said
# plainly, never reported as clean). CI runs it on every push: .github/workflows/audit.yml.
PIP_AUDIT := pip-audit==2.10.1
audit: venv frontend
	@$(BIN)/python -m pip_audit --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet "$(PIP_AUDIT)"
	$(BIN)/python -m rdv.audit
