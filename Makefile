# Everything a newcomer needs, from a fresh clone. `make test` and `make demo` do all the set-up:
# npm packages, a Docker engine, a registry on 127.0.0.1:5000 and the base images.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STATE := .rt
BASES := $(STATE)/bases.env
# Loads NODE<major>_BASE_IMAGE / PYTHON_BASE_IMAGE decided by scripts/base-images.sh.
WITH_BASES := set -a && . ./$(BASES) && { [ ! -f $(STATE)/podman.env ] || . ./$(STATE)/podman.env; } && set +a &&

.PHONY: help deps engine registry podman bases base-images build typecheck lint test test-unit test-runtimes test-integration bench demo smoke publish clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
deps: node_modules/.package-lock.json ## install the npm packages (npm ci)

engine: ## make a Docker engine answer (installs and starts one on Debian as root)
	bash scripts/engine.sh

registry: ## make a registry answer on 127.0.0.1:5000
	bash scripts/registry.sh

bases: deps engine ## make sure the upstream base images (or offline stand-ins) are in the engine
	@mkdir -p $(STATE)
	bash scripts/base-images.sh > $(BASES).tmp && mv $(BASES).tmp $(BASES)
	@cat $(BASES)

base-images: bases ## build the runtime base images rt/nodejs20:dev, rt/nodejs22:dev, rt/nodejs24:dev, rt/python312:dev
	$(WITH_BASES) bash scripts/build-base-images.sh

build: deps ## bundle the command-line tools into dist/ (esbuild; the type check is `make typecheck`)
	npm run --silent build

typecheck: deps ## type-check everything (strict)
	npm run --silent typecheck

lint: deps ## eslint, type-aware
	npm run --silent lint

test-unit: deps ## unit tests (no engine)
	npm run --silent test:unit

base-images/nodejs/node_modules/.package-lock.json: base-images/nodejs/package.json base-images/nodejs/package-lock.json
	cd base-images/nodejs && npm ci --no-audit --no-fund

# The Node suite also runs every Node image (nodejs20, 22, 24) under both launches; it skips images that
# are not built, so the images are built first.
test-runtimes: base-images/nodejs/node_modules/.package-lock.json base-images ## the runtimes' own test suites (in-process on the host's Node; the Node images per major)
	cd base-images/nodejs && npm run --silent typecheck && npm test
	bash base-images/python312/scripts/test.sh

podman: ## make Podman's Docker-compatible API answer (installs Debian's podman as root) for the Podman tests
	@mkdir -p $(STATE)
	bash scripts/podman.sh > $(STATE)/podman.env.tmp && mv $(STATE)/podman.env.tmp $(STATE)/podman.env

test-integration: deps engine registry bases base-images podman ## integration tests against the real engine, a registry and Podman
	$(WITH_BASES) npx tsx test/support/leftovers.ts --reap
	$(WITH_BASES) npm run --silent test:integration
	$(WITH_BASES) npx tsx test/support/leftovers.ts --check

test: typecheck lint test-unit test-runtimes test-integration ## everything CI runs: type-check, lint, unit, runtime and integration tests

bench: build engine registry bases base-images ## benchmarks: each prints a JSON summary with ratios against a baseline run alongside
	. scripts/lib.sh && { command -v wrk >/dev/null || apt_install wrk || die "the benchmarks need wrk (Debian: apt-get install wrk)"; }
	cd base-images/nodejs && npm run --silent bench
	bash base-images/python312/scripts/bench.sh
	$(WITH_BASES) npx tsx bench/runtime-http.ts
	$(WITH_BASES) npx tsx bench/soak.ts
	$(WITH_BASES) npx tsx bench/cold-start.ts
	$(WITH_BASES) npx tsx bench/rtbuild.ts

demo: build base-images ## the main job: build sample Function images with rtbuild and check them with rtcheck
	bash scripts/demo.sh

smoke: build engine bases ## check that the engine can run function containers (host network, read-only root)
	$(WITH_BASES) node dist/src/cli/smoke.js

VERSION ?= $(shell node -p "require('./package.json').version")
# Every base image of the runtime table, each gated by its own rtcheck run (rtbuild base pushes only what passes).
publish: build base-images ## build, rtcheck and push every base image: make publish REGISTRY=host:port/path [VERSION=x.y.z]
	@test -n "$(REGISTRY)" || { echo "usage: make publish REGISTRY=registry.example/runtimes [VERSION=x.y.z]" >&2; exit 2; }
	for runtime in $$(node --import tsx scripts/runtime-table.ts | cut -d' ' -f1); do \
	  $(WITH_BASES) bin/rtbuild base $$runtime --tag $(REGISTRY)/$$runtime:$(VERSION) --push; \
	done

clean: ## remove build output (engine images and the registry's data stay)
	rm -rf dist $(STATE)
