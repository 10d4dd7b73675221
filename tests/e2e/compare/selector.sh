#!/usr/bin/env bash
# e2e: the anchor selector bench/compare.sh writes (anchor_one.py), on a fake anchor module shaped like rnn.py (a
# main() that calls bench() then emit() per configuration, in loop order). Only the wanted configuration is timed and
# printed; a configuration not in the order, an anchor whose loops run in another order or run more configurations
# than the order lists are refused, naming the problem. Skipped, saying so, without Python 3.
# Usage: selector.sh SOURCE_DIR WORK_DIR
set -u
src=$1
work=$2
py=${PY:-/usr/bin/python3}
if [[ ! -x $py ]]; then
  echo "compare selector: SKIPPED: $py not found"
  exit 0
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
source "$src/tests/e2e/lib/expect.sh"
# The selector exactly as compare.sh writes it (the here-document between its cat line and PYEOF).
sed -n '/^cat >"$BUILD\/anchor_one.py"/,/^PYEOF/p' "$src/bench/compare.sh" | sed '1d;$d' >anchor_one.py
[[ -s anchor_one.py ]] || fail "no anchor_one.py here-document found in bench/compare.sh"

# fake.py: configurations CELLS x (uni, bi); bench() says which configuration it really timed, emit() prints the
# record.
cat >fake.py <<'EOF'
import json, os
CELLS = os.environ.get("FAKE_CELLS", "LSTM GRU").split()
current = None
def bench(fn, **kw):
    fn()
    print("timed", current)
    return [2.0]
def emit(rec):
    print(json.dumps(rec))
def main():
    global current
    for cell in CELLS:
        for bi in (False, True):
            current = f"{cell},{int(bi)}"
            ran = []
            ms = bench(lambda: ran.append(1))
            emit({"cell": cell, "bidirectional": bi, "ms": ms[0], "timed": len(ran)})
EOF
order="LSTM,0 LSTM,1 GRU,0 GRU,1"
select=("$py" anchor_one.py --threads 1 --anchor fake --keys cell,bidirectional)

out=$("${select[@]}" --order "$order" --want GRU,0 2>&1) || fail "selecting GRU,0 failed: $out"
[[ $(grep -c '^{' <<<"$out") == 1 ]] || fail "expected exactly one record, got: $out"
[[ $(grep '^timed' <<<"$out") == "timed GRU,0" ]] || fail "expected GRU,0 alone to be timed, got: $out"
grep -q '"cell": "GRU", "bidirectional": false, "ms": 2.0, "timed": 1' <<<"$out" || fail "wrong record: $out"
expect 1 "GRU,2 is not one of fake.py's configurations" -- "${select[@]}" --order "$order" --want GRU,2
expect 1 "fake.py's loop order changed" -- "${select[@]}" --order "GRU,0 GRU,1 LSTM,0 LSTM,1" --want GRU,0
expect 1 "fake.py times more than 4 configurations" -- env FAKE_CELLS="LSTM GRU RNN" "${select[@]}" --order "$order" \
  --want LSTM,1

[[ $failures == 0 ]] || { echo "compare selector: $failures failure(s)"; exit 1; }
echo "compare selector: PASS"
