# acc-gen. `make run` starts the product with a demo key; `make test` runs every test.
SHELL := /bin/bash
PG_PORT    ?= 5432
REDIS_PORT ?= 6379
HTTP_ADDR  ?= 127.0.0.1:8080
LOCAL      := .local

export ACCGEN_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:$(PG_PORT)/postgres?sslmode=disable
export ACCGEN_TEST_REDIS_URL    ?= redis://127.0.0.1:$(REDIS_PORT)/0

.PHONY: build test fuzz faults run services stop-services vet fmt compose-config bench screens

build:
	go build -o bin/accgen ./cmd/accgen

services:
	PG_PORT=$(PG_PORT) REDIS_PORT=$(REDIS_PORT) ACCGEN_TEST_DATABASE_URL= ACCGEN_TEST_REDIS_URL= scripts/services.sh start

stop-services:
	PG_PORT=$(PG_PORT) REDIS_PORT=$(REDIS_PORT) scripts/services.sh stop

# The whole suite, with the race detector, on real PostgreSQL and Redis;
# then the bounded fault suite and a bounded fuzz run.
test: services
	go test -race -count=1 ./...
	$(MAKE) faults FAULTS=ci
	$(MAKE) fuzz

# Every fuzz target in the repository for FUZZTIME each (plain `go test`
# only replays their seeds and testdata/fuzz). A crasher is written to the
# package's testdata/fuzz/<Target>/: commit it as a regression case.
# Minimising a new input is capped at 5 s (Go's default is a minute), so a
# long interesting input does not eat a short run.
FUZZTIME ?= 10s
fuzz:
	@set -e; grep -rl --include='*_test.go' --exclude-dir=node_modules --exclude-dir=testdata '^func Fuzz' . | sort | \
	while read -r file; do \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$file"); do \
			echo "fuzz $$(dirname "$$file") $$target for $(FUZZTIME)"; \
			go test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s "$$(dirname "$$file")" </dev/null || \
			{ echo "fuzz: $$target failed; once more (go's fuzzer can end a run with a spurious 'context deadline exceeded'; a real crasher is saved to testdata/fuzz and fails again at once)"; \
			  go test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s "$$(dirname "$$file")" </dev/null; }; \
		done; \
	done

# The fault suite (docs/reliability.md): its own throwaway PostgreSQL and
# Redis on free ports, `accgen serve` as a child process under concurrent
# load, SIGKILLs, a PostgreSQL restart, a Redis outage and upstream faults,
# every invariant checked after each. FAULTS=ci is the bounded run `make
# test` does; the full run writes its summary into docs/reliability.md.
# FAULTS_SEED replays a run; FAULTS_RACE=1 runs the engine under -race.
FAULTS ?= full
faults:
	ACCGEN_FAULTS=$(FAULTS) ACCGEN_FAULTS_SEED=$(FAULTS_SEED) ACCGEN_FAULTS_RACE=$(FAULTS_RACE) \
	ACCGEN_FAULTS_REPORT=$(if $(filter full,$(FAULTS)),$(CURDIR)/docs/reliability.md) \
	go test -count=1 -run '^TestFaults$$' -timeout 30m -v ./cmd/accgen

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

# The product on this machine: local PostgreSQL and Redis, a demo user with a
# funded API key printed, the HTTP API on $(HTTP_ADDR).
run: services build
	@mkdir -p $(LOCAL)
	@test -s $(LOCAL)/encryption.key || bin/accgen keygen > $(LOCAL)/encryption.key
	ACCGEN_DATABASE_URL=postgres://postgres@127.0.0.1:$(PG_PORT)/accgen?sslmode=disable \
	ACCGEN_REDIS_URL=redis://127.0.0.1:$(REDIS_PORT)/0 \
	ACCGEN_ENCRYPTION_KEY=$$(cat $(LOCAL)/encryption.key) \
	ACCGEN_HTTP_ADDR=$(HTTP_ADDR) \
	ACCGEN_WEBHOOK_ALLOW_PRIVATE=true \
	bash -c 'bin/accgen migrate --create-database && exec bin/accgen serve --demo'

compose-config:
	docker compose config --quiet

# Hot paths against same-run baselines; writes docs/benchmarks.md.
bench: services
	go run ./bench -out docs/benchmarks.md

# What customers see, in every language (main menu, a country list, an
# active number, admin /stats): rewrites docs/screens.md from the bot's own
# renderers. TestScreens fails when the committed file is stale.
screens:
	go test ./bot -run '^TestScreens$$' -count=1 -args -screens
