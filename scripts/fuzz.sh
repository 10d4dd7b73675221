#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan) in build/fuzz and runs each for a bounded time.
# Installs nothing: needs clang-14, libfuzzer-14-dev and libomp-14-dev (`scripts/install-deps.sh fuzz`).
#
# Usage: scripts/fuzz.sh [TARGET...]                  default: every target, FUZZ_SECONDS (default 60) each
#   FUZZ_SECONDS=600 scripts/fuzz.sh safetensors_fuzz
#   FUZZ_BUILD_DIR=build/my-fuzz scripts/fuzz.sh      another build folder (default build/fuzz)
# Seeds: tests/fuzz/corpus/<name>/, dictionary: tests/fuzz/<name>.dict (name = target without _fuzz).
# New inputs that raise coverage go to <build>/corpus/<name>/; the checked-in seeds stay untouched (by hand, give
# libFuzzer a scratch folder first: it writes into its first folder). A crash is written to <build>/artifacts/ and
# the script exits non-zero; reproduce with <build>/tests/fuzz/<target> FILE.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-${root}/build/fuzz}"
seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
((${#targets[@]})) || targets=(safetensors_fuzz)

for tool in clang-14 clang++-14 cmake ninja; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fuzz.sh: $tool not found (scripts/install-deps.sh fuzz)" >&2; exit 1; }
done

CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DATTEND_BUILD_FUZZ=ON -DATTEND_BUILD_TESTS=OFF -DATTEND_BUILD_TOOLS=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
ninja -C "$build" "${targets[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "${build}/artifacts"
for target in "${targets[@]}"; do
  seeds="${root}/tests/fuzz/corpus/${target%_fuzz}"
  corpus="${build}/corpus/${target%_fuzz}"
  mkdir -p "$corpus"
  dict="${root}/tests/fuzz/${target%_fuzz}.dict"
  options=()
  [[ -f "$dict" ]] && options+=(-dict="$dict")
  echo "fuzz.sh: running ${target} for ${seconds} s (corpus ${corpus}, seeds ${seeds})"
  "${build}/tests/fuzz/${target}" "$corpus" "$seeds" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -use_value_profile=1 -artifact_prefix="${build}/artifacts/${target}-" -print_final_stats=1 \
    "${options[@]}"
done
