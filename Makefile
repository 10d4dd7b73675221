# attend: the user's entry points. `make help` lists them. The build itself is CMake (CMakePresets.json); this file
# only strings the steps together: install Debian packages, configure a preset, build, run.
#
#   make demo          install dependencies, build, run the main job
#   make test          install dependencies, build, run every test tier (unit, grad, golden, e2e)
#
# Variables: PRESET (release; ci adds -Werror), ASAN_PRESET (debug; ci-asan adds -Werror), JOBS (build jobs, default
# the number of cores), TEST_JOBS (parallel tests, default 2), PREFIX (install prefix, default /usr/local).

PRESET      ?= release
ASAN_PRESET ?= debug
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
TEST_JOBS   ?= 2
PREFIX      ?= /usr/local

BUILD_DIR := build/$(PRESET)
ATTEND    := $(BUILD_DIR)/bin/attend

.DEFAULT_GOAL := help
.PHONY: help deps deps-fuzz deps-bench configure build test test-asan demo bench fuzz install clean

help: ## this list
	@echo "attend: make TARGET [PRESET=release|ci] [JOBS=n] [PREFIX=dir]"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

deps: ## install the Debian packages to build and test (needs root when some are missing)
	bash scripts/install-deps.sh

deps-fuzz: ## deps plus clang and libFuzzer
	bash scripts/install-deps.sh fuzz

deps-bench: ## deps plus PyTorch and tcmalloc for the anchor benchmarks
	bash scripts/install-deps.sh bench

configure: deps ## configure build/PRESET
	cmake --preset $(PRESET)

build: configure ## build the library, the attend binary and the tests (build/PRESET)
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build ## run every test tier: unit, grad, golden, e2e
	ctest --preset $(PRESET) -j $(TEST_JOBS)

test-asan: deps ## unit and grad tiers under AddressSanitizer + UBSan (build/ASAN_PRESET)
	cmake --preset $(ASAN_PRESET)
	cmake --build --preset $(ASAN_PRESET) -j $(JOBS)
	ctest --preset $(ASAN_PRESET) -j $(TEST_JOBS) -L '^(unit|grad)$$'

demo: build ## the main job: attend demo
	$(ATTEND) demo

bench: deps-bench build ## attend against raw OpenBLAS and PyTorch, side by side (bench/compare.sh)
	ATTEND_BIN=$(abspath $(ATTEND)) bash bench/compare.sh matmul softmax

fuzz: deps-fuzz ## libFuzzer on the safetensors header parser (scripts/fuzz.sh)
	bash scripts/fuzz.sh

install: build ## install headers, libattend, bin/attend and the CMake package into PREFIX
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean: ## remove the build folders of the presets and of make fuzz (build/release, debug, ci, ci-asan, fuzz)
	rm -rf build/release build/debug build/ci build/ci-asan build/fuzz
