#!/usr/bin/env bash
# compare.sh WORKLOAD... - attend against its anchors, side by side in one session (see bench/README.md).
#
# Workloads: matmul[:N] (default N=1024; anchors: raw OpenBLAS sgemm and torch.matmul),
#            softmax[:D1,D2,...] (default 8,8,512,512; anchor: torch.softmax(x, -1)),
#            attention[:N][:causal][:fwd|:fwdbwd] (default 512, not causal, fwd; B8 H8 d64; anchor: attention.py
#              --variant naive or causal; attend: `attend bench attention`), e.g. attention:2048:causal:fwdbwd;
#              attention[:N][:causal][:fwd|:fwdbwd]:bf16 runs with bf16 products (attend --precision bf16; anchor:
#              bench/anchors/attention_bf16.py, the same attention on torch.bfloat16 tensors),
#            mha[:N][:fwd|:fwdbwd] (default 512, fwd; E512 H8 B8; anchor: attention.py --variant mha, i.e.
#              torch.nn.MultiheadAttention; attend: `attend bench mha`), e.g. mha:512:fwdbwd,
#            transformer[:fwd|:fwdbwd] (default fwd; one encoder layer, d_model 512, 8 heads, ffn 2048, ReLU, post-norm,
#              dropout 0, x [16, 128, 512]; anchor: transformer.py, only the selected mode timed, see anchor_one.py
#              below; attend: `attend bench transformer`), e.g. transformer:fwdbwd,
#            lstm[:fwd|:fwdbwd][:bi], gru[:fwd|:fwdbwd][:bi] (default fwd, unidirectional; seq 50, batch 32, input 256,
#              hidden 512; anchors: rnn.py, only the selected configuration timed, see anchor_one.py below, and for fwd
#              also oneDNN's fused RNN (c/onednn_rnn.cpp, forward_inference, glibc, every T of THREADS; skipped with
#              a note if libdnnl-dev is missing); attend: `attend bench lstm|gru`), e.g. lstm:fwdbwd:bi,
#            seq2seq:bahdanau|luong-general|luong-dot (batch 32, lengths 30, vocab 8000, emb 256, hidden 512, Adam;
#              anchor: seq2seq.py --models bahdanau|luong_general|luong_dot; attend: `attend bench seq2seq`).
#            The optional parts come in this order; attention and mha anchors run in every TORCH_CFGS configuration,
#            and both sides time >= 5 samples over >= 4 s (the anchor's protocol for these workloads); transformer
#            likewise, >= 10 samples over >= 4 s (transformer.py's protocol).
# For every workload, ROUNDS rounds; each round runs every anchor configuration and every attend configuration once,
# alternating sides (the order flips every round). Before and after: the 2-thread FMA probe (peak t 8), so a noisy
# host can be recognised. Every JSON line goes to $OUT; the table is printed at the end (bench/compare_table.py).
#
# Env: ATTEND_BIN (build/release/bin/attend)  ROUNDS (3)  THREADS ("1 2")  ANCHORS (../shared/anchors)
#      ATTEND_ALLOCS ("glibc tcmalloc": attend also runs with tcmalloc preloaded, like the torch anchors)
#      TORCH_CFGS ("1/glibc 2/glibc 1/tcmalloc 2/tcmalloc 2p/tcmalloc"; 2p = OMP_WAIT_POLICY=PASSIVE)
#      SOFTMAX_OUT (0; 1 adds both sides' preallocated-output variants: torch --out, attend --out = the row kernel)
#      ATTENTION_IMPLS ("auto"; e.g. "auto composite": attention runs attend once per --impl, see bench/README.md)
#      BUILD (./anchor-build)  OUT (bench/results/compare-<time>.jsonl)  PY (/usr/bin/python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATTEND_BIN="${ATTEND_BIN:-$ROOT/build/release/bin/attend}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-1 2}"
ANCHORS="${ANCHORS:-$ROOT/../shared/anchors}"
ATTEND_ALLOCS="${ATTEND_ALLOCS:-glibc tcmalloc}"
TORCH_CFGS="${TORCH_CFGS:-1/glibc 2/glibc 1/tcmalloc 2/tcmalloc 2p/tcmalloc}"
SOFTMAX_OUT="${SOFTMAX_OUT:-0}"
ATTENTION_IMPLS="${ATTENTION_IMPLS:-auto}"
BUILD="${BUILD:-$PWD/anchor-build}"
PY="${PY:-/usr/bin/python3}"
OUT="${OUT:-$ROOT/bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
OPENBLAS_OMP_DIR=/usr/lib/x86_64-linux-gnu/openblas-openmp
OPENBLAS_OMP_INC=/usr/include/x86_64-linux-gnu/openblas-openmp

die() { echo "compare.sh: $*" >&2; exit 1; }
WORKLOAD_SYNTAX="matmul[:N], softmax[:D1,D2,...], attention[:N][:causal][:fwd|:fwdbwd][:bf16], mha[:N][:fwd|:fwdbwd], \
transformer[:fwd|:fwdbwd], lstm[:fwd|:fwdbwd][:bi], gru[:fwd|:fwdbwd][:bi], seq2seq:bahdanau|luong-general|luong-dot"
[[ $# -ge 1 ]] || die "usage: bench/compare.sh WORKLOAD... ($WORKLOAD_SYNTAX)"
# The workloads first: a typo is reported before anything about the environment (or any build) is checked.
for w in "$@"; do
  [[ "$w" =~ ^matmul(:[1-9][0-9]*)?$ || "$w" =~ ^softmax(:[1-9][0-9]*(,[1-9][0-9]*)*)?$ ||
     "$w" =~ ^attention(:[1-9][0-9]*)?(:causal)?(:fwd|:fwdbwd)?(:bf16)?$ || "$w" =~ ^mha(:[1-9][0-9]*)?(:fwd|:fwdbwd)?$ ||
     "$w" =~ ^transformer(:fwd|:fwdbwd)?$ || "$w" =~ ^(lstm|gru)(:fwd|:fwdbwd)?(:bi)?$ ||
     "$w" =~ ^seq2seq:(bahdanau|luong-general|luong-dot)$ ]] ||
    die "unknown workload '$w' ($WORKLOAD_SYNTAX)"
done
[[ -x "$ATTEND_BIN" ]] || die "no attend binary at $ATTEND_BIN (build it: cmake -S . -B build/release -G Ninja \
-DCMAKE_BUILD_TYPE=Release && ninja -C build/release; or set ATTEND_BIN)"
[[ -f "$ANCHORS/py/common.py" ]] || die "anchor scripts not found in $ANCHORS (set ANCHORS)"
[[ -x "$PY" ]] && "$PY" -c 'import torch' 2>/dev/null || die "$PY cannot import torch (apt-get install python3-torch)"
[[ -f "$TCMALLOC" ]] || die "tcmalloc not found at $TCMALLOC (apt-get install libtcmalloc-minimal4)"
[[ "$ROUNDS" -ge 1 ]] || die "ROUNDS must be >= 1"

# ---- anchor binaries: the FMA probe and raw sgemm against the OpenMP OpenBLAS (the one attend links) ----
mkdir -p "$BUILD" "$(dirname "$OUT")"
gcc -O2 -fopenmp -mavx512f -mavx512bf16 -mavx512vl -mfma "$ANCHORS/c/peak.c" -o "$BUILD/peak"
gcc -O2 -I"$OPENBLAS_OMP_INC" "$ANCHORS/c/sgemm_openblas.c" -o "$BUILD/sgemm_openblas" \
  -L"$OPENBLAS_OMP_DIR" -Wl,-rpath,"$OPENBLAS_OMP_DIR" -lopenblas

# onednn_rnn: ../shared/anchors/c/onednn_rnn.cpp times all 8 of its configurations (LSTM/GRU x uni/bi x inference/
# training, >= 3.5 s each, so ~30 s a run) in one process. The copy built here skips, at the top of its innermost loop,
# every configuration but $ONEDNN_ONE ("CELL:BIDIR:PROP"), so a round costs the one we keep (~4 s per T) and the peak
# RSS is its own; the timed code is onednn_rnn.cpp's, unchanged. Built only for lstm/gru fwd workloads.
onednn=0
for w in "$@"; do [[ "$w" =~ ^(lstm|gru)(:fwd)?(:bi)?$ ]] && onednn=1; done
if [[ "$onednn" == 1 ]] && ! printf '#include <oneapi/dnnl/dnnl.hpp>\nint main() { return !dnnl_version(); }\n' |
    g++ -std=c++17 -x c++ - -o "$BUILD/onednn_probe" -ldnnl 2>/dev/null; then
  echo "compare.sh: oneDNN headers or libdnnl not found (apt-get install libdnnl-dev): no oneDNN anchor rows" >&2
  onednn=0
fi
if [[ "$onednn" == 1 ]]; then
  loop='^      for (prop_kind pk : {prop_kind::forward_inference, prop_kind::forward_training}) {$'
  [[ "$(grep -c "$loop" "$ANCHORS/c/onednn_rnn.cpp")" == 1 ]] || die "onednn_rnn.cpp's loops changed: update compare.sh"
  { echo '#include <cstdlib>'
    echo '#include <string>'
    echo 'static std::string onednn_one() { const char *s = std::getenv("ONEDNN_ONE"); return s ? s : ""; }'
    sed "/$loop/a\\
        if (onednn_one() != std::string(cell) + (bidir ? \":1:\" : \":0:\") +\\
            (pk == prop_kind::forward_inference ? \"forward_inference\" : \"forward_training\")) continue;" \
      "$ANCHORS/c/onednn_rnn.cpp"; } >"$BUILD/onednn_rnn_one.cpp"
  # the header's command plus -fopenmp: the source calls omp_get_max_threads(), which -ldnnl alone does not link
  g++ -O2 -std=c++17 -fopenmp "$BUILD/onednn_rnn_one.cpp" -o "$BUILD/onednn_rnn" -ldnnl
fi
: >"$OUT"

# anchor_one.py: rnn.py times all 8 of its configurations (LSTM/GRU x uni/bi x fwd/fwdbwd) in one process, and
# transformer.py both of its modes. This runs an anchor's main() with only the selected configuration timed (the
# others get a dummy sample and print nothing), so a workload costs one configuration and its peak RSS is its own.
# --keys names the record fields that tell configurations apart, --order lists the configurations in the order the
# anchor's loops run them (checked against its records), --want the one to time. The timed code is the anchor's own.
cat >"$BUILD/anchor_one.py" <<'PYEOF'
import argparse, importlib, os, sys
sys.path.insert(0, os.getcwd())  # run from the anchors' py/ directory (torch_run does)
ap = argparse.ArgumentParser()
ap.add_argument("--threads", required=True)
ap.add_argument("--anchor", required=True)
ap.add_argument("--keys", required=True)
ap.add_argument("--order", required=True)
ap.add_argument("--want", required=True)
a = ap.parse_args()
m = importlib.import_module(a.anchor)
keys, want = a.keys.split(","), tuple(a.want.split(","))
order = [tuple(c.split(",")) for c in a.order.split()]
assert want in order, f"{a.want} is not one of {a.anchor}.py's configurations {a.order}"
calls, real_bench, real_emit, printed = [], m.bench, m.emit, []
def bench(fn, **kw):
    assert len(calls) < len(order), f"{a.anchor}.py times more than {len(order)} configurations: update compare.sh"
    calls.append(order[len(calls)])
    return real_bench(fn, **kw) if calls[-1] == want else [1.0]
def emit(rec):
    got = tuple(str(int(rec[k])) if isinstance(rec[k], bool) else str(rec[k]) for k in keys)
    assert calls and calls[-1] == got, f"{a.anchor}.py's loop order changed: update its order in compare.sh"
    if got == want:
        printed.append(rec)
        real_emit(rec)
m.bench, m.emit = bench, emit
sys.argv = [a.anchor + ".py", "--threads", a.threads]
m.main()
assert len(printed) == 1, f"{a.anchor}.py printed no record for {a.want}"
PYEOF
rnn_order="$(for c in LSTM GRU; do for b in 0 1; do for m in fwd fwdbwd; do echo -n "$c,$b,$m "; done; done; done)"

# tag KEY=VALUE...: adds fields to every JSON line read on stdin (the probe and the sgemm anchor lack some).
tag() { "$PY" -c '
import json, sys
extra = dict(a.split("=", 1) for a in sys.argv[1:])
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        rec = json.loads(line)
        rec.update({k: v for k, v in extra.items() if k not in rec or k in ("side", "when", "round")})
        print(json.dumps(rec), flush=True)
' "$@" >>"$OUT"; }

# benv T ALLOC cmd...: the environment of one run (T threads for OpenMP and OpenBLAS, optional tcmalloc).
benv() {
  local t="$1" alloc="$2"; shift 2
  local pre=""
  [[ "$alloc" == tcmalloc ]] && pre="$TCMALLOC"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
    BENCH_ALLOC="$alloc" LD_PRELOAD="$pre" "$@"
}

probe() {  # probe start|end
  echo "FMA probe ($1) ..." >&2
  benv 2 glibc "$BUILD/peak" t 8 | tag side=probe when="$1"
}

# torch RUN: one torch config "T/alloc" (T = 1, 2 or 2p) of an anchors/py-style script.
torch_run() {
  local cfg="$1" script="$2"; shift 2
  local t="${cfg%%/*}" alloc="${cfg##*/}" wp=()
  if [[ "$t" == 2p ]]; then t=2; wp=(OMP_WAIT_POLICY=PASSIVE); fi
  (cd "$ANCHORS/py" && benv "$t" "$alloc" env "${wp[@]}" BENCH_CFG="${cfg%%/*}" ANCHORS="$ANCHORS" \
    "$PY" "$script" --threads "$t" "$@") | tag side=anchor round="$round"
}

# onednn_run T: the oneDNN fused RNN's forward_inference of rnn_cell/rnn_bi on T threads, re-tagged as an rnn.py fwd
# record (bench "rnn", side "anchor") so that it joins the torch rows' table; peak RSS from /usr/bin/time if present.
onednn_run() {
  local timer=() out
  rm -f "$BUILD/onednn_rss"
  [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -f %M -o "$BUILD/onednn_rss")
  out="$(benv "$1" glibc env ONEDNN_ONE="$rnn_cell:$rnn_bi:forward_inference" "${timer[@]}" "$BUILD/onednn_rnn")"
  "$PY" -c '
import json, sys
cell, bi, rss = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
recs = [json.loads(l) for l in sys.stdin if l.startswith("{")]
recs = [r for r in recs if (r["cell"], r["bidirectional"], r["prop"]) == (cell, bi, "forward_inference")]
assert len(recs) == 1, "onednn_rnn printed no record for the selected configuration"
r = recs[0]
r.update(bench="rnn", anchor="onednn_rnn", mode="fwd", seq=50, batch=32, input=256, hidden=512)
try:
    r["peak_rss_mib"] = int(open(rss).read().split()[-1]) / 1024  # %M is KiB
except (OSError, ValueError, IndexError):
    pass
print(json.dumps(r))
' "$rnn_cell" "$rnn_bi" "$BUILD/onednn_rss" <<<"$out" | tag side=anchor alloc=glibc round="$round"
}

attend_run() {  # attend_run ALLOC T args...
  local alloc="$1" t="$2"; shift 2
  benv "$t" "$alloc" "$ATTEND_BIN" bench "$@" --threads "$t" | tag side=attend alloc="$alloc" round="$round"
}

# attention_args WORKLOAD: sets att_n, att_variant (naive, causal or mha), att_mode and att_bf16 (0 or 1) from
# attention[:N][:causal][:MODE][:bf16] or mha[:N][:MODE].
attention_args() {
  local part parts=()
  att_n=512 att_mode=fwd att_bf16=0 att_variant="${1%%:*}"
  [[ "$att_variant" == attention ]] && att_variant=naive
  IFS=: read -ra parts <<<"${1#*:}"
  [[ "$1" == *:* ]] || parts=()
  for part in "${parts[@]}"; do
    case "$part" in
      causal) att_variant=causal ;;
      fwd | fwdbwd) att_mode="$part" ;;
      bf16) att_bf16=1 ;;
      *) att_n="$part" ;;
    esac
  done
}

# rnn_args WORKLOAD: sets rnn_cell (LSTM or GRU), rnn_mode and rnn_bi (0 or 1) from lstm|gru[:MODE][:bi].
rnn_args() {
  rnn_cell=LSTM rnn_mode=fwd rnn_bi=0
  [[ "$1" == gru* ]] && rnn_cell=GRU
  [[ "$1" == *:fwdbwd* ]] && rnn_mode=fwdbwd
  [[ "$1" == *:bi ]] && rnn_bi=1
  return 0
}

# transformer_mode WORKLOAD: the mode of transformer[:fwd|:fwdbwd] (fwd by default).
transformer_mode() {
  if [[ "$1" == *:fwdbwd ]]; then echo fwdbwd; else echo fwd; fi
}

anchors_of() {  # anchors_of WORKLOAD: every anchor configuration, once
  local kind="${1%%:*}" arg="${1#*:}"
  if [[ "$kind" == lstm || "$kind" == gru ]]; then
    rnn_args "$1"
    for cfg in $TORCH_CFGS; do
      torch_run "$cfg" "$BUILD/anchor_one.py" --anchor rnn --keys cell,bidirectional,mode --order "$rnn_order" \
        --want "$rnn_cell,$rnn_bi,$rnn_mode"
    done
    if [[ "$rnn_mode" == fwd && "$onednn" == 1 ]]; then  # oneDNN's anchor times no backward
      for t in $THREADS; do onednn_run "$t"; done
    fi
  elif [[ "$kind" == seq2seq ]]; then
    for cfg in $TORCH_CFGS; do torch_run "$cfg" seq2seq.py --models "${arg//-/_}"; done
  elif [[ "$kind" == transformer ]]; then
    for cfg in $TORCH_CFGS; do torch_run "$cfg" "$BUILD/anchor_one.py" --anchor transformer --keys mode \
      --order "fwd fwdbwd" --want "$(transformer_mode "$1")"; done
  elif [[ "$kind" == attention || "$kind" == mha ]]; then
    attention_args "$1"
    for cfg in $TORCH_CFGS; do
      if [[ "$att_bf16" == 1 ]]; then
        torch_run "$cfg" "$ROOT/bench/anchors/attention_bf16.py" --variant "$att_variant" --mode "$att_mode" \
          --n "$att_n"
      else
        torch_run "$cfg" attention.py --variant "$att_variant" --mode "$att_mode" --n "$att_n"
      fi
    done
  elif [[ "$kind" == matmul ]]; then
    [[ "$arg" == matmul ]] && arg=1024
    for t in $THREADS; do
      benv "$t" glibc "$BUILD/sgemm_openblas" "$arg" | tag side=anchor round="$round" dtype=float32
      torch_run "$t/tcmalloc" matmul.py --sizes "$arg" --dtypes float32
    done
  else
    [[ "$arg" == softmax ]] && arg=8,8,512,512
    for cfg in $TORCH_CFGS; do torch_run "$cfg" "$ROOT/bench/anchors/softmax.py" --shape "$arg"; done
    if [[ "$SOFTMAX_OUT" == 1 ]]; then
      for t in $THREADS; do torch_run "$t/tcmalloc" "$ROOT/bench/anchors/softmax.py" --shape "$arg" --out; done
    fi
  fi
}

attends_of() {  # attends_of WORKLOAD: every attend configuration, once
  local kind="${1%%:*}" arg="${1#*:}"
  for alloc in $ATTEND_ALLOCS; do
    for t in $THREADS; do
      if [[ "$kind" == lstm || "$kind" == gru ]]; then
        rnn_args "$1"
        local bi=()
        [[ "$rnn_bi" == 1 ]] && bi=(--bidirectional)
        attend_run "$alloc" "$t" "$kind" --mode "$rnn_mode" "${bi[@]}"
      elif [[ "$kind" == seq2seq ]]; then
        attend_run "$alloc" "$t" seq2seq --attention "$arg"
      elif [[ "$kind" == transformer ]]; then
        attend_run "$alloc" "$t" transformer --mode "$(transformer_mode "$1")" --reps 10 --seconds 4
      elif [[ "$kind" == attention || "$kind" == mha ]]; then
        attention_args "$1"
        local causal=()
        [[ "$att_variant" == causal ]] && causal=(--causal)
        local impls=(auto)
        [[ "$kind" == attention ]] && read -ra impls <<<"$ATTENTION_IMPLS"
        [[ "$att_bf16" == 1 ]] && impls=(auto) causal+=(--precision bf16)
        for impl in "${impls[@]}"; do
          local impl_arg=()
          [[ "$impl" != auto ]] && impl_arg=(--impl "$impl")
          attend_run "$alloc" "$t" "$kind" --n "$att_n" --mode "$att_mode" "${causal[@]}" "${impl_arg[@]}" --reps 5 \
            --seconds 4
        done
      elif [[ "$kind" == matmul ]]; then
        [[ "$arg" == matmul ]] && arg=1024
        attend_run "$alloc" "$t" matmul --n "$arg"
      else
        [[ "$arg" == softmax ]] && arg=8,8,512,512
        attend_run "$alloc" "$t" softmax --shape "$arg"
      fi
    done
  done
  if [[ "${1%%:*}" == softmax && "$SOFTMAX_OUT" == 1 ]]; then
    for t in $THREADS; do attend_run glibc "$t" softmax --shape "$arg" --out; done
  fi
}

echo "attend: $ATTEND_BIN ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)); rounds: $ROUNDS; \
load: $(cut -d' ' -f1-3 /proc/loadavg); results: $OUT" >&2
round=0
probe start
for w in "$@"; do
  for round in $(seq 1 "$ROUNDS"); do
    echo "$w: round $round/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    if (( round % 2 == 1 )); then anchors_of "$w"; attends_of "$w"; else attends_of "$w"; anchors_of "$w"; fi
  done
done
probe end
"$PY" "$ROOT/bench/compare_table.py" "$OUT"
