#!/usr/bin/env bash
# Installs attend's dependencies: the one script that does (`make deps` calls it). Debian bookworm packages only.
#
# Usage: scripts/install-deps.sh [GROUP...]
#   base   always: compiler, CMake, Ninja and the libraries to build and test attend   (scripts/deps/base.txt)
#   fuzz   clang and libFuzzer for `make fuzz`                                          (scripts/deps/fuzz.txt)
#   bench  PyTorch and tcmalloc for the anchor benchmarks of `make bench`               (scripts/deps/bench.txt)
#   browser  headless Chromium for the HTML heatmap e2e test                          (scripts/deps/browser.txt)
#
# Each package is checked with dpkg-query. When all are present it says so and leaves apt alone. Otherwise, as root,
# it runs `apt-get update` and installs only the missing ones; not as root, it names them and the command to run.
set -euo pipefail

deps_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/deps"
groups=(base)
for group in "$@"; do
  [[ " ${groups[*]} " == *" ${group} "* ]] || groups+=("$group")
done

packages=()
for group in "${groups[@]}"; do
  list="${deps_dir}/${group}.txt"
  if [[ ! -f "$list" ]]; then
    known=$(cd "$deps_dir" && ls -- *.txt | sed 's/\.txt$//' | tr '\n' ' ')
    echo "install-deps: unknown group '${group}' (known: ${known% })" >&2
    exit 2
  fi
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"
    line="${line//[[:space:]]/}"
    [[ -n "$line" ]] && packages+=("$line")
  done <"$list"
done

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: dpkg-query not found: attend installs its dependencies as Debian (bookworm) packages" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present (groups: ${groups[*]})"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if ((EUID != 0)); then
  {
    echo "install-deps: installing packages needs root. Run:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    echo "or: sudo scripts/install-deps.sh${*:+ $*}"
  } >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

still_missing=()
for package in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ "$status" == installed ]] || still_missing+=("$package")
done
if ((${#still_missing[@]} != 0)); then
  echo "install-deps: apt-get finished but these are still not installed: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
