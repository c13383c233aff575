# The developer's entry points. `make test` is what CI runs (.ci/run).
SHELL := bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := build

GO        ?= go
# go.mod names the toolchain the console is built and tested with (a patch
# release with the standard library's security fixes); auto lets go fetch it
# through the module proxy where the installed one is older.
export GOTOOLCHAIN ?= auto
BIN       := bin/pomerium-console
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
TOOL      := $(GO) tool -modfile=tools/go.mod
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null)
# The time the image claims to be made at: the last commit's, so that two
# builds of a commit give the same digest.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_DIR ?= bin/image
RUN_DIR   ?= $(CURDIR)/.run

.PHONY: build
build: assets ## Build the console binary into bin/ (with the web console's pinned htmx).
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/pomerium-console

# make test builds it first: hack/containerimage's tests build it again,
# which a warm build cache makes seconds instead of the minutes of a first
# cross-compilation, which would count against go test's timeout.
.PHONY: image
image: assets ## Build the container image (linux/amd64, linux/arm64) without a Docker engine into bin/image/: OCI layout, OCI archive, a Docker archive per platform.
	hack/install-ca-certificates.sh
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./hack/containerimage/build -out=$(IMAGE_DIR) -version=$(VERSION) -revision=$(REVISION)

# make test builds them first: config/packaging's tests build them again,
# which a warm build cache makes seconds instead of minutes.
.PHONY: packages
packages: assets ## .deb and .rpm packages (amd64, arm64) into dist/: the binary cross-compiled without cgo, the hardened systemd unit, the commented config (nfpm, pinned by hack/packages/go.mod).
	$(GO) -C hack/packages run . -repo $(CURDIR) -version $(VERSION) -out $(CURDIR)/dist

.PHONY: run
run: build ## Start the console with no configuration: embedded store in .run/, everything on localhost.
	mkdir -p $(RUN_DIR)
	$(BIN) serve --data-dir $(RUN_DIR) --bind-addr 127.0.0.1:8701 --metrics-addr 127.0.0.1:8709 --grpc-addr 127.0.0.1:8702

.PHONY: test
test: deps assets check-generated lint vulncheck envtest image packages ## Everything CI checks: generated code, vet, staticcheck, known vulnerabilities and every test (real PostgreSQL, Kubernetes API server, Chromium and Pomerium).
	{ $(GO) test -count=1 -v ./...; (cd deploy/test && $(GO) test -count=1 -v ./...); $(GO) -C hack/packages test -count=1 -v ./...; } 2>&1 | hack/test-summary.sh
	$(MAKE) --no-print-directory fuzz FUZZTIME=5000x

.PHONY: test-faults
test-faults: deps ## Fault scenarios against the built console: PostgreSQL restarted (fast, immediate) and a leader replica killed under API write load, the writer killed, the databroker link broken, the embedded store's disk full; each checks that the databroker holds the compiled store and every acknowledged write is stored, nothing refused, nothing twice (also in make test).
	$(GO) test -count=1 -v ./faults/

# The fuzz targets, PACKAGE:TARGET; make fuzz runs each for FUZZTIME inputs
# (make test for 5,000 each). A failing input is kept under the package's
# testdata/fuzz/ as a regression seed, which plain go test runs from then on.
#
# FUZZTIME is a count, not a duration: with a duration, Go 1.26's fuzzing
# coordinator can fail a target that found nothing with "context deadline
# exceeded" when a busy worker answers just after the deadline (Go issue
# 75804, fixed in Go 1.27). A count sets no deadline. A duration (30s) still
# works for a run by hand.
FUZZTIME ?= 50000x
FUZZ_TARGETS := \
	./store:FuzzValidate ./store:FuzzParseCertificates ./store:FuzzValidateKeyMaterial \
	./reconcile/compile:FuzzValidatePPL ./reconcile/compile:FuzzCheckRoute \
	./manifest:FuzzDecode ./importer:FuzzParse ./importer:FuzzCutReadsAsWhole \
	./server/api:FuzzConfigFilter ./server/api:FuzzCodecs ./server/api:FuzzCreateKeyPair \
	./server/api:FuzzSetSettingsValidation ./server/api:FuzzSetNamespacePermission \
	./server/api/convert:FuzzRouteToStore

.PHONY: fuzz
fuzz: ## Run each fuzz target (request decoders and validators: the store's rules, certificates, PPL, routes, manifests, import, ConfigService filters, the API's codecs) for FUZZTIME inputs (50,000).
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) -parallel 2 $${t%%:*} || exit 1; \
	done

.PHONY: deps
deps: ## Install what the tests need on Debian (PostgreSQL, Chromium) and check Pomerium's dbserver and configcheck beside the repository.
	hack/install-postgres.sh
	hack/install-chromium.sh
	hack/install-ca-certificates.sh
	hack/install-packaging.sh
	hack/check-pomerium.sh

.PHONY: assets
assets: ## Fetch the pinned htmx (embedded) and axe-core (browser tests) with npm, by server/web/npm's lockfile.
	hack/assets.sh

.PHONY: screenshots
screenshots: deps assets ## Screenshots of every web console screen, light and dark, into docs/screenshots/.
	$(GO) test -count=1 -run 'TestScreens|TestImpersonation' ./server/web/e2e/ -args -screenshots $(CURDIR)/docs/screenshots

.PHONY: envtest
envtest: ## Build kube-apiserver, etcd and kubectl for tests into bin/envtest/ (minutes once, then seconds).
	hack/envtest/install.sh

.PHONY: lint
lint: ## gofmt, go vet and staticcheck, of the console's module, of deploy/test's and of hack/packages'.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(TOOL) staticcheck ./...
	cd deploy/test && $(GO) vet ./... && $(GO) tool -modfile=$(CURDIR)/tools/go.mod staticcheck ./...
	$(GO) -C hack/packages vet ./...
	$(GO) -C hack/packages tool -modfile=$(CURDIR)/tools/go.mod staticcheck ./...

# The Go vulnerability database at a pinned version (golang.org/x/vulndb,
# served by the module proxy), indexed into bin/ once.
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB         := bin/vulndb-$(VULNDB_VERSION)

.PHONY: vulncheck
vulncheck: ## govulncheck (pinned in tools/go.mod) against the pinned vulnerability database: fails on a known vulnerability the console's code reaches.
	hack/vulndb.sh $(VULNDB_VERSION) $(VULNDB)
	$(TOOL) govulncheck -db file://$(CURDIR)/$(VULNDB) ./...

.PHONY: generate
generate: ## Regenerate code from the .proto files and the Kubernetes types (deep copies, CRDs).
	hack/generate.sh

.PHONY: manifests
manifests: generate ## The CRD manifests under config/crd (made by generate).

.PHONY: check-generated
check-generated: ## Fail when generated code differs from what `make generate` produces.
	hack/check-generated.sh

.PHONY: bench
bench: deps assets ## Benchmarks: store, compile, databroker, the reconcile loop at 1k/10k/100k routes (both stores, both databrokers), the API and ConfigService, 100k sessions, 10k Route objects against the API server's ceiling, serve's memory (both databrokers), import at 100k routes, every web page at 100k routes (both stores), a fleet of 10 clusters x 10k routes, 16 API clients for 10 minutes over 100k routes (the soak).
	$(GO) test -run '^$$' -bench . -benchtime 2s -timeout 60m ./store/... ./reconcile/compile/ ./databroker/...
	$(GO) test -run '^$$' -bench Reconcile -benchtime 1x -timeout 60m ./reconcile/ -args -sizes 1000,10000,100000 -edits 1000
	$(GO) test -run '^$$' -bench 'API|ConfigService|PolicyUsedByManyRoutes' -benchtime 1x -timeout 60m ./server/api/
	$(GO) test -run '^$$' -bench TenThousand -benchtime 1x -timeout 30m ./controllers/
	hack/bench-serve-rss.sh 100000
	BROKER=pomerium hack/bench-serve-rss.sh 100000
	hack/bench-import.sh 100000
	$(GO) test -run '^$$' -bench Pages -benchtime 20x -timeout 30m ./server/web/
	$(GO) test -run '^$$' -bench Pages -benchtime 20x -timeout 30m ./server/web/ -args -store embedded
	$(GO) test -run '^$$' -bench Fleet -benchtime 1x -timeout 30m ./cmd/pomerium-console/e2e/
	$(MAKE) soak

.PHONY: load
load: build ## 16 API clients (both APIs, reads, lists, writes) for a minute over 100,000 routes against Pomerium's databroker: throughput, p50/p99 per call, reconcile lag, errors.
	$(GO) run ./hack/load -binary $(BIN) -routes 100000 -clients 16 -duration 1m

.PHONY: soak
soak: build ## The load for 10 minutes, sampling serve's memory, goroutines and descriptors every 10 s; fails on growth beyond noise.
	$(GO) run ./hack/load -binary $(BIN) -routes 100000 -clients 16 -duration 10m -soak -sample 10s

.PHONY: bench-1m
bench-1m: deps assets ## One million routes: serve's time and peak RSS against Pomerium's databroker, the reconcile loop's cold start, edits and resync on the embedded store against it, pages of lists and every web console page on both stores (about 95 minutes on 2 cores).
	BROKER=pomerium hack/bench-serve-rss.sh 1000000
	$(GO) test -run '^$$' -bench '^Store$$/List' -benchtime 20x -timeout 120m ./store/sqlite/ ./store/postgres/ -args -list-routes 1000000
	$(GO) test -run '^$$' -bench 'Reconcile/sqlite/pomerium' -benchtime 1x -timeout 120m ./reconcile/ -args -sizes 1000000 -brokers pomerium -edits 200
	$(GO) test -run '^$$' -bench Pages -benchtime 20x -timeout 60m ./server/web/ -args -routes 1000000
	$(GO) test -run '^$$' -bench Pages -benchtime 20x -timeout 60m ./server/web/ -args -routes 1000000 -store embedded

.PHONY: bench-import
bench-import: ## Time and peak RSS of import at 100,000 and 1,000,000 routes, first and again (about 20 minutes on 2 cores).
	hack/bench-import.sh 100000 1000000

.PHONY: clean
clean:
	rm -rf bin dist $(RUN_DIR)

.PHONY: help
help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-16s %s\n", $$1, $$2}'
