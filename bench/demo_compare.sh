#!/usr/bin/env bash
# demo_compare.sh - the main job's goal, side by side: seconds of training to 99.9% held-out exact match, attend demo
# against ../shared/anchors/py/date_demo.py on the same dumped corpus, alternating sides for ROUNDS rounds (the order
# flips every round), with the 2-thread FMA probe before and after (see bench/README.md).
#
# Env: ATTEND_BIN (build/release/bin/attend)  ROUNDS (3)  ATTEND_THREADS ("1 2")  TORCH_THREADS ("1 2")
#      TARGET (0.999)  ANCHORS (../shared/anchors)  BUILD (./anchor-build)  PY (/usr/bin/python3)
#      OUT (bench/results/demo-<time>.jsonl)
# Each run prints one JSON line into OUT: side, threads, round, train_seconds, steps, exact_match, wall_seconds,
# peak_rss_mib. Both sides run with OpenBLAS's own kernel choice (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, as
# compare.sh does). The table at the end gives medians and the ratio (anchor seconds / attend seconds: > 1 = faster).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATTEND_BIN="${ATTEND_BIN:-$ROOT/build/release/bin/attend}"
ROUNDS="${ROUNDS:-3}"
ATTEND_THREADS="${ATTEND_THREADS:-1 2}"
TORCH_THREADS="${TORCH_THREADS:-1 2}"
TARGET="${TARGET:-0.999}"
ANCHORS="${ANCHORS:-$ROOT/../shared/anchors}"
BUILD="${BUILD:-$PWD/anchor-build}"
PY="${PY:-/usr/bin/python3}"
OUT="${OUT:-$ROOT/bench/results/demo-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"

die() { echo "demo_compare.sh: $*" >&2; exit 1; }
[[ -x "$ATTEND_BIN" ]] || die "no attend binary at $ATTEND_BIN (make build, or set ATTEND_BIN)"
[[ -f "$ANCHORS/py/date_demo.py" ]] || die "anchor script not found: $ANCHORS/py/date_demo.py (set ANCHORS)"
"$PY" -c 'import torch' 2>/dev/null || die "$PY cannot import torch (apt-get install python3-torch)"
[[ "$ROUNDS" -ge 1 ]] || die "ROUNDS must be >= 1"
mkdir -p "$BUILD" "$(dirname "$OUT")"
: >"$OUT"
gcc -O2 -fopenmp -mavx512f -mavx512bf16 -mavx512vl -mfma "$ANCHORS/c/peak.c" -o "$BUILD/peak"
data="$BUILD/demo-data"
"$ATTEND_BIN" demo --dump-data "$data" >/dev/null

probe() { OMP_NUM_THREADS=2 "$BUILD/peak" t 8 | "$PY" -c '
import json, statistics, sys
for line in sys.stdin:
    if line.startswith("{"):
        r = json.loads(line); c = r.get("chunks") or [0]
        print(json.dumps({"side": "probe", "when": sys.argv[1], "median_gflops": statistics.median(c), "min_gflops": min(c)}))
' "$1" >>"$OUT"; }

# record SIDE THREADS ROUND TRAIN_SECONDS STEPS EXACT WALL RSS_KIB
record() {
  "$PY" -c 'import json, sys; s, t, r, ts, st, em, w, rss = sys.argv[1:]
print(json.dumps({"side": s, "threads": int(t), "round": int(r), "train_seconds": float(ts), "steps": int(float(st)),
                  "exact_match": float(em), "wall_seconds": float(w), "peak_rss_mib": round(int(rss) / 1024, 1)}))' \
    "$@" >>"$OUT"
}

torch_side() {  # torch_side T ROUND
  local log="$BUILD/torch.log" tm="$BUILD/torch.time"
  (cd "$ANCHORS/py" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$1" /usr/bin/time -f "%e %M" -o "$tm" "$PY" date_demo.py --threads "$1" \
    --data "$data" --target "$TARGET" --eval-every 10) >"$log"
  local summary
  summary=$(grep '"summary"' "$log" | tail -1)
  "$PY" -c 'import json, sys; r = json.loads(sys.argv[1]); print(r.get("train_seconds", 0), r.get("step", r.get("steps", 0)), r.get("exact_match", 0))' \
    "$summary" | { read -r ts st em; read -r w rss <"$tm"; record anchor "$1" "$2" "$ts" "$st" "$em" "$w" "$rss"; }
}

attend_side() {  # attend_side T ROUND
  local dir="$BUILD/attend-demo" tm="$BUILD/attend.time"
  rm -rf "$dir"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$1" /usr/bin/time -f "%e %M" -o "$tm" "$ATTEND_BIN" demo --threads "$1" --out "$dir" \
    --metrics "$dir.json" >/dev/null
  "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["train_seconds"], r["steps"], r["exact_match"])' \
    "$dir.json" | { read -r ts st em; read -r w rss <"$tm"; record attend "$1" "$2" "$ts" "$st" "$em" "$w" "$rss"; }
}

echo "demo_compare: $ATTEND_BIN ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)); rounds $ROUNDS;" \
  "load $(cut -d' ' -f1-3 /proc/loadavg); results $OUT" >&2
probe start
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  if (( round % 2 == 1 )); then
    for t in $TORCH_THREADS; do torch_side "$t" "$round"; done
    for t in $ATTEND_THREADS; do attend_side "$t" "$round"; done
  else
    for t in $ATTEND_THREADS; do attend_side "$t" "$round"; done
    for t in $TORCH_THREADS; do torch_side "$t" "$round"; done
  fi
done
probe end

"$PY" - "$OUT" "$TARGET" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
target = float(sys.argv[2])
probes = {r["when"]: r for r in rows if r["side"] == "probe"}
print(f"FMA probe (2 threads): start median {probes['start']['median_gflops']:.0f} GFLOP/s, "
      f"end median {probes['end']['median_gflops']:.0f} GFLOP/s\n")
print("| side | threads | train s median | min-max | steps | exact match | wall s | peak RSS MiB | reached |")
print("|---|---|---|---|---|---|---|---|---|")
best = {}
for side in ("anchor", "attend"):
    for t in sorted({r["threads"] for r in rows if r["side"] == side}):
        rs = [r for r in rows if r["side"] == side and r["threads"] == t]
        ok = all(r["exact_match"] >= target for r in rs)
        med = statistics.median(r["train_seconds"] for r in rs)
        print(f"| {'torch date_demo.py' if side == 'anchor' else 'attend demo'} | {t} | {med:.2f} | "
              f"{min(r['train_seconds'] for r in rs):.2f}-{max(r['train_seconds'] for r in rs):.2f} | "
              f"{statistics.median(r['steps'] for r in rs):.0f} | {min(r['exact_match'] for r in rs):.4f} | "
              f"{statistics.median(r['wall_seconds'] for r in rs):.1f} | {max(r['peak_rss_mib'] for r in rs):.0f} | "
              f"{'yes' if ok else 'NO'} |")
        if ok and (side not in best or med < best[side][0]):
            best[side] = (med, t)
if "anchor" in best and "attend" in best:
    print(f"\nbest torch: {best['anchor'][0]:.2f} s ({best['anchor'][1]} thread(s)); best attend: "
          f"{best['attend'][0]:.2f} s ({best['attend'][1]} thread(s)) -> {best['anchor'][0] / best['attend'][0]:.2f}x "
          f"(goal >= 3x)")
PYEOF
