# Everything a newcomer needs, from a fresh clone. `make test` and `make demo` do all the set-up:
# npm packages, a Docker engine, a registry on 127.0.0.1:5000 and the base images.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STATE := .rt
BASES := $(STATE)/bases.env
# Loads NODE_BASE_IMAGE / PYTHON_BASE_IMAGE decided by scripts/base-images.sh.
WITH_BASES := set -a && . ./$(BASES) && set +a &&

.PHONY: help deps engine registry bases build typecheck lint test test-unit test-integration demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
deps: node_modules/.package-lock.json ## install the npm packages (npm ci)

engine: ## make a Docker engine answer (installs and starts one on Debian as root)
	bash scripts/engine.sh

registry: ## make a registry answer on 127.0.0.1:5000
	bash scripts/registry.sh

bases: engine ## make sure the upstream base images (or offline stand-ins) are in the engine
	@mkdir -p $(STATE)
	bash scripts/base-images.sh > $(BASES).tmp && mv $(BASES).tmp $(BASES)
	@cat $(BASES)

build: deps ## compile the toolchain to dist/
	npm run --silent build

typecheck: deps ## type-check everything (strict)
	npm run --silent typecheck

lint: deps ## eslint, type-aware
	npm run --silent lint

test-unit: deps ## unit tests (no engine)
	npm run --silent test:unit

test-integration: deps engine registry bases ## integration tests against the real engine and registry
	$(WITH_BASES) npx tsx test/support/leftovers.ts --reap
	$(WITH_BASES) npm run --silent test:integration
	$(WITH_BASES) npx tsx test/support/leftovers.ts --check

test: typecheck lint test-unit test-integration ## everything CI runs: type-check, lint, unit and integration tests

demo: build engine bases ## the main job: run a smoke container on the engine and ask it over 127.0.0.1
	$(WITH_BASES) node dist/src/cli/smoke.js

clean: ## remove build output (engine images and the registry's data stay)
	rm -rf dist $(STATE)
