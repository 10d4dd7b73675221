#!/usr/bin/env bash
# e2e: bench/compare.sh's workload syntax, checked before anything runs. Malformed workloads are refused naming the
# workload and the syntax; well-formed ones get past the check (to the next one, the attend binary's, which this
# test makes fail on purpose so that nothing is built or timed).
# Usage: workloads.sh SOURCE_DIR WORK_DIR
set -u
src=$1
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
source "$src/tests/e2e/lib/expect.sh"
compare=(env ATTEND_BIN="$work/no-attend" BUILD="$work/build" OUT="$work/out.jsonl" bash "$src/bench/compare.sh")

for w in transformer:xyz transformer:fwd:fwdbwd transformer:bwd transformer: transformer:512 transformers; do
  expect 1 "compare.sh: unknown workload '$w' \(.*transformer\[:fwd\|:fwdbwd\]" -- "${compare[@]}" "$w"
done
for w in attention:bf16:fwdbwd attention:bf16:causal mha:512:bf16 attention:fwd:fwdbwd:bf16; do  # bf16: last
  expect 1 "compare.sh: unknown workload '$w' \(.*attention\[:N\]\[:causal\]\[:fwd\|:fwdbwd\]\[:bf16\]" -- "${compare[@]}" "$w"
done
# One bad workload among good ones is enough to refuse the run.
expect 1 "unknown workload 'transformer:xyz'" -- "${compare[@]}" transformer:fwd transformer:xyz
for w in transformer transformer:fwd transformer:fwdbwd "transformer:fwd transformer:fwdbwd mha:512:fwdbwd" \
  attention:bf16 attention:2048:causal:bf16 attention:fwdbwd:bf16 attention:512:causal:fwdbwd:bf16; do
  # shellcheck disable=SC2086  # several workloads in one string
  expect 1 "compare.sh: no attend binary at $work/no-attend" -- "${compare[@]}" $w
done
[[ ! -e out.jsonl && ! -e build ]] || fail "compare.sh wrote results or built anchors before its checks passed"
expect 1 "usage: bench/compare.sh WORKLOAD\.\.\. \(.*transformer\[:fwd\|:fwdbwd\]" -- "${compare[@]}"

[[ $failures == 0 ]] || { echo "compare workloads: $failures failure(s)"; exit 1; }
echo "compare workloads: PASS"
