# The two commands: `make start` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

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
