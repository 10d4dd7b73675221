#!/usr/bin/env bash
# e2e: the values of `attend bench transformer`'s record agree with each other and with the anchor's formulas
# (../shared/anchors/py/transformer.py): gflops_median × ms_median is the anchor's FLOP count of the tiny shape
# (2·B·N·(4·C² + 2·C·F) + 4·B·H·N²·(C/H), 3× for fwdbwd), tokens_per_s_median × ms_median is B·N, the min/max
# rates come from the max/min times, and the peak RSS is at least the base.
# Usage: transformer_record.sh ATTEND_BINARY
set -u
attend=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# value JSON KEY: a numeric top-level value of a one-line record.
value() { grep -o "\"$2\":[-0-9.e+]*" <<<"$1" | cut -d: -f2; }
# near A B: A and B agree to 1e-6 relative (both positive).
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && b > 0 && d <= 1e-6 * b) }'; }
# le A B: A <= B.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

b=2 n=8 c=16 h=2 f=32
fwd_flop=$(((2 * b * n * (4 * c * c + 2 * c * f)) + 4 * b * h * n * n * (c / h)))  # 73728
for mode in fwd fwdbwd; do
  rec=$("$attend" bench transformer --batch $b --seq $n --d-model $c --heads $h --ffn $f --mode $mode --threads 1 \
    --reps 3 --seconds 0 --warmup 0) || { fail "$mode: exit $?"; continue; }
  flop=$fwd_flop
  [[ $mode == fwdbwd ]] && flop=$((3 * fwd_flop))
  ms=$(value "$rec" ms_median) ms_min=$(value "$rec" ms_min) ms_max=$(value "$rec" ms_max)
  gf=$(value "$rec" gflops_median) gf_min=$(value "$rec" gflops_min) gf_max=$(value "$rec" gflops_max)
  near "$(awk -v g="$gf" -v m="$ms" 'BEGIN { printf "%.9g", g * m * 1e6 }')" $flop ||
    fail "$mode: gflops_median $gf x ms_median $ms is not $flop FLOP: $rec"
  near "$(awk -v g="$gf_min" -v m="$ms_max" 'BEGIN { printf "%.9g", g * m * 1e6 }')" $flop ||
    fail "$mode: gflops_min $gf_min is not the rate at ms_max $ms_max"
  near "$(awk -v g="$gf_max" -v m="$ms_min" 'BEGIN { printf "%.9g", g * m * 1e6 }')" $flop ||
    fail "$mode: gflops_max $gf_max is not the rate at ms_min $ms_min"
  near "$(awk -v t="$(value "$rec" tokens_per_s_median)" -v m="$ms" 'BEGIN { printf "%.9g", t * m / 1e3 }')" \
    $((b * n)) || fail "$mode: tokens_per_s_median x ms_median is not B·N = $((b * n)): $rec"
  { le "$ms_min" "$ms" && le "$ms" "$ms_max"; } || fail "$mode: not ms_min <= ms_median <= ms_max: $rec"
  [[ $(value "$rec" samples) == 3 ]] || fail "$mode: samples is not --reps 3: $rec"
  le "$(value "$rec" rss_base_mib)" "$(value "$rec" peak_rss_mib)" || fail "$mode: peak RSS below the base: $rec"
done
[[ $failures == 0 ]] || { echo "bench transformer record: $failures failure(s)"; exit 1; }
echo "bench transformer record: PASS"
