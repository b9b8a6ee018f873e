# The two commands: `make start` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Tests of behaviour (not of telemetry) that must also pass with the SDK disabled; in-process tests
# never load the SDK, so these are the ones that start the services as processes.
FUNCTIONAL_TESTS := test/e2e/embedded-render.test.ts test/e2e/redis-scale.test.ts test/e2e/admin-page.test.ts services/cli

.PHONY: help setup start test typecheck stack bench dashboards

help:
	@echo "make start   install what is missing, then run the service on its embedded default (port 3000)"
	@echo "make test    install what is missing, start Redis, run every test, stop Redis"
	@echo "make stack   the service + Prometheus + Alertmanager on loopback, without Docker"
	@echo "make bench   performance ratios (instrumented vs OTEL_SDK_DISABLED=true)"

setup:
	@scripts/setup.sh start

start:
	@scripts/setup.sh start
	npm start

test:
	@scripts/setup.sh test
	npx tsc --noEmit -p .
	scripts/with-redis.sh node scripts/run-tests.mjs
	@echo "== the functional tests again, with OTEL_SDK_DISABLED=true"
	RENDER_TEST_TELEMETRY=off scripts/with-redis.sh node scripts/run-tests.mjs $(FUNCTIONAL_TESTS)

typecheck:
	npx tsc --noEmit -p .

bench:
	@scripts/setup.sh test
	node --import tsx bench/run-all.ts

dashboards:
	npm run dashboards

stack:
	@scripts/setup.sh stack
	scripts/stack.sh
