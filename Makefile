# sandbox: one launcher, two isolation kinds. `make` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN          := bin/sandbox
CLI_PROJECT  := src/Sandbox.Cli/Sandbox.Cli.csproj
TEST_PROJECT := tests/Sandbox.Tests/Sandbox.Tests.csproj
PUBLISH_DIR  := artifacts/publish
# Engines and tools, all from Debian: OCI runtimes, the busybox the built-in image is made of,
# QEMU + xz + the archive keyring for the microVM backend, a C toolchain for the exec shim (built into the library) and the test probe, clang+zlib for NativeAOT linking, podman/hyperfine/jq for benchmarks,
# golang-github-containers-common for /usr/share/containers/seccomp.json (the reference profile the seccomp tests compare with),
# skopeo/umoci to produce real images for the import tests, zstd for zstd-compressed layers,
# docker-registry as the real registry the pull tests push to and pull from (127.0.0.1 only),
# debootstrap for the Debian userland import test,
# make bc bison flex libelf-dev libssl-dev to compile the minimal guest kernels from linux-source-X (`sandbox kernel build`),
# chromium (headless) to load analyze's HTML report in a real browser.
DEBIAN_PACKAGES := libsqlite3-0 runc crun busybox-static util-linux e2fsprogs qemu-system-x86 xz-utils debian-archive-keyring gcc libc6-dev clang zlib1g-dev podman golang-github-containers-common uidmap hyperfine jq python3 skopeo umoci zstd docker-registry debootstrap make bc bison flex libelf-dev libssl-dev chromium
DOTNET       ?= dotnet
SOURCES      := $(shell find src \( -name obj -o -name bin \) -prune -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.c' \) -print) $(wildcard profiles/seccomp/*.yaml) profiles/policy.yaml $(wildcard kernels/*) $(wildcard kernels/config/*) Directory.Build.props Directory.Packages.props

# The test suite's microVM state root and the machine-wide cache of finished kernel builds (by key).
TEST_CACHE   := $(or $(SANDBOX_TEST_CACHE),/var/cache/sandbox-tests)
MINIMAL_KERNELS := minimal-6.1 minimal-5.10

.PHONY: help deps build test demo bench clean kernels

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## (.*)/  make \1\t\2/' | expand -t 16

deps: ## Install the Debian packages the project needs (only those missing)
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing from Debian: $$missing"; \
	  [ "$$(id -u)" = 0 ] || { echo "deps: need root to apt-get install: $$missing" >&2; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: all Debian packages present"; fi
	@command -v $(DOTNET) >/dev/null || { echo "deps: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }

build: $(BIN) ## Build the NativeAOT CLI at bin/sandbox

$(BIN): $(SOURCES)
	@echo "build: publishing NativeAOT $(BIN)"
	$(DOTNET) publish $(CLI_PROJECT) -c Release -r linux-x64 -o $(PUBLISH_DIR) --nologo -v quiet
	@mkdir -p bin && cp $(PUBLISH_DIR)/Sandbox.Cli $(BIN).tmp && mv -f $(BIN).tmp $(BIN) # rename: a running sandbox keeps its old binary

test: build ## Run the whole test suite (root and the engines for integration tests)
	@# microVM tests fetch the guest kernels once into $${SANDBOX_TEST_CACHE:-/var/cache/sandbox-tests} and reuse them.
	@mkdir -p artifacts
	@# Normal verbosity logs each skip's reason; the console hides the passed tests' lines.
	@set +e; $(DOTNET) test $(TEST_PROJECT) -c Release --nologo --logger "console;verbosity=normal" 2>&1 | tee artifacts/test.log | grep -vE '^  Passed '; \
	status=$${PIPESTATUS[0]}; tools/test-summary.sh artifacts/test.log; exit $$status

kernels: build ## Compile the minimal guest kernels once per machine (minutes; then cached by source, config and toolchain)
	@install -d -m 0711 $(TEST_CACHE)
	@for k in $(MINIMAL_KERNELS); do $(BIN) --root $(TEST_CACHE)/microvm-root kernel build $$k --cache $(TEST_CACHE)/kernel-builds; done

demo: deps build ## Build, then run real sandboxed workloads
	tests/demo.sh $(BIN)

bench: deps build ## Benchmarks: sandbox vs the bare OCI runtime vs podman; the microVM vs bare QEMU
	tests/Performance/bench.sh $(BIN)
	tests/Performance/image-sharing.sh $(BIN)
	tests/Performance/bench-microvm.sh $(BIN)
	tests/Performance/bench-lifecycle.sh $(BIN)

clean: ## Remove build outputs
	rm -rf bin artifacts src/*/bin src/*/obj tests/*/bin tests/*/obj tests/probe/bin
