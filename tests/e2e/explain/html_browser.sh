#!/usr/bin/env bash
# e2e: the HTML page of `attend explain --format html` in a real browser. Headless Chromium loads it from a file (no
# network), runs its script and dumps the DOM, which must hold one cell per weight and one label per token of every
# panel. Skipped, saying so, when Chromium is not installed (`bash scripts/install-deps.sh browser` installs it).
# Usage: html_browser.sh ATTEND_BINARY SOURCE_DIR WORK_DIR
set -u
attend=$1
src=$2
work=$3
chromium=${ATTEND_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "html browser: SKIPPED: $chromium not found (install it with: bash scripts/install-deps.sh browser)"
  exit 0
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
count_items() { grep -o "\"$2\":\[[^]]*\]" <<<"$1" | grep -o '","' | wc -l | awk '{print $1 + 1}'; }
steps=10 source "$src/tests/e2e/explain/tiny_model.sh"
ckpt=tiny/best.safetensors
input="Nov 24, 1987"   # 12 source characters

# Two panels (the 2 best hypotheses), each with its own target length.
json=$("$attend" explain $ckpt --input "$input" --beam 2 --nbest 2 --format json) || fail "json failed"
cells=0 rows=0
while IFS= read -r line; do
  t=$(count_items "$line" target)
  cells=$((cells + t * 12))
  rows=$((rows + t))
done <<<"$json"
"$attend" explain $ckpt --input "$input" --beam 2 --nbest 2 --format html --out page.html || fail "html failed"
profile=$(mktemp -d)
dom=$(timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
  --dump-dom "file://$PWD/page.html" 2>chromium.log)
code=$?
rm -rf "$profile"
[[ $code == 0 ]] || { fail "chromium exit $code: $(tail -3 chromium.log)"; }
echo "$dom" > dom.html
got_cells=$(grep -o '<td class="cell"' dom.html | wc -l)
got_rows=$(grep -o '<th class="row"' dom.html | wc -l)
got_cols=$(grep -o '<th class="col"' dom.html | wc -l)
[[ $got_cells == "$cells" ]] || fail "DOM has $got_cells cells, expected $cells"
[[ $got_rows == "$rows" ]] || fail "DOM has $got_rows target labels, expected $rows"
[[ $got_cols == 24 ]] || fail "DOM has $got_cols source labels, expected 24 (12 per panel)"
grep -q 'data-ready="yes"' dom.html || fail "the page's script did not finish"
[[ $(grep -o '<option value="[01]"' dom.html | wc -l) == 2 ]] || fail "the panel switch lacks its 2 options"
grep -q '<span>N</span>' dom.html || fail "the source label N is missing"

if [[ $failures == 0 ]]; then echo "html browser: PASS ($got_cells cells, $got_rows + $got_cols labels)"; else echo "html browser: $failures failures"; exit 1; fi
