#!/usr/bin/env bash
# e2e: `attend demo` at a short step budget: it trains, reports, draws its attention pictures, the loss falls and
# --metrics holds every key the README promises. Usage: demo_short.sh ATTEND_BINARY WORK_DIR
set -u
attend=$1
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
out=$("$attend" demo --steps 30 --threads 1 --out run --metrics m.json 2>&1) || { echo "$out"; echo "demo failed"; exit 1; }
echo "$out" | tail -20
ok=1
for key in exact_match train_seconds steps examples_per_second first_loss last_loss alignment_accuracy; do
  grep -q "\"$key\"" m.json || { echo "metrics lack $key"; ok=0; }
done
awk -F': ' '/"first_loss"/{f=$2} /"last_loss"/{l=$2} END{exit !(l+0 < f+0)}' m.json || { echo "loss did not fall"; ok=0; }
grep -Eq '"steps": 30(\.0)?,' m.json || { echo "not 30 steps: $(cat m.json)"; ok=0; }
grep -q "held-out exact match" <<<"$out" || { echo "no held-out report"; ok=0; }
grep -q -- "->" <<<"$out" || { echo "no sample translation"; ok=0; }
[[ -f run/best.safetensors ]] || { echo "no saved model"; ok=0; }
awk -F': ' '/"alignment_accuracy"/{v=$2+0; found=1} END{exit !(found && v >= 0 && v <= 1)}' m.json ||
  { echo "alignment_accuracy not in [0, 1]: $(grep alignment_accuracy m.json)"; ok=0; }
for picture in run/attention.html run/attention-0.png run/attention-0.svg; do
  [[ -s $picture ]] || { echo "no $picture"; ok=0; }
done
[[ $(head -c 8 run/attention-0.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || { echo "attention-0.png is not a PNG"; ok=0; }
grep -q '<rect class="cell"' run/attention-0.svg || { echo "attention-0.svg has no cells"; ok=0; }
[[ $ok == 1 ]] && echo "demo short: PASS"
