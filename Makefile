# The two commands: `make start` and `make test`. Everything else is optional.
# Every target runs on the project's Node (>= 24) through scripts/node, which setup installs under
# .tools/ when the machine's own Node is older.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE := scripts/node
VITEST := $(NODE) node_modules/vitest/vitest.mjs run

# Tests of behaviour (not of telemetry) that must also pass with the SDK disabled: the ones that start
# the services as processes (in-process tests never load the SDK).
FUNCTIONAL_TESTS := test/e2e/embedded-render.test.ts test/e2e/redis-scale.test.ts test/e2e/admin-page.test.ts test/e2e/object-storage.test.ts

.PHONY: help setup start test typecheck lint format build stack bench dashboards readme

help:
	@echo "make start   install what is missing, then run the service on its embedded default (port 3000)"
	@echo "make test    install what is missing, start Redis, run every test, stop Redis"
	@echo "make build   compile to JavaScript in dist/ (what the Docker image runs)"
	@echo "make stack   the service + the collector, Prometheus, Alertmanager (and what else builds here) on loopback, without Docker"
	@echo "make bench   performance ratios (instrumented vs OTEL_SDK_DISABLED=true)"

setup:
	@scripts/setup.sh start

start:
	@scripts/setup.sh start
	$(NODE) --import tsx --import ./instrumentation/register.ts services/main.ts

test:
	@scripts/setup.sh test
	@scripts/stack-bin.sh --summary
	$(NODE) node_modules/typescript/bin/tsc --noEmit -p .
	$(NODE) node_modules/@biomejs/biome/bin/biome check .
	scripts/with-redis.sh $(VITEST) --coverage
	@echo "== the functional tests again, with OTEL_SDK_DISABLED=true"
	RENDER_TEST_TELEMETRY=off scripts/with-redis.sh $(VITEST) $(FUNCTIONAL_TESTS)

typecheck:
	$(NODE) node_modules/typescript/bin/tsc --noEmit -p .

lint:
	$(NODE) node_modules/@biomejs/biome/bin/biome check .

format:
	$(NODE) node_modules/@biomejs/biome/bin/biome format --write .

build:
	@scripts/setup.sh start
	npm run build

bench:
	@scripts/setup.sh test
	$(NODE) --import tsx bench/run-all.ts

dashboards:
	npm run dashboards

# The README's error and configuration tables, from the error registry and the config schema.
readme:
	$(NODE) --import tsx scripts/readme-tables.ts --write

stack:
	@scripts/setup.sh stack
	scripts/stack.sh
