#!/usr/bin/env bash
# e2e: attend explain. The worked example; on a tiny trained model every --format (txt, svg, png, html, json, npy,
# pharaoh), n-best, teacher-forced --reference, AER against --gold; malformed options exit 1 with a one-line error.
# Usage: explain_cli.sh ATTEND_BINARY SOURCE_DIR WORK_DIR
set -u
attend=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
ONE_LINE_ERRORS=1
source "$src/tests/e2e/lib/expect.sh"
# count_items JSON_LINE KEY: entries of a string array (tokens here hold no '","').
count_items() { grep -o "\"$2\":\[[^]]*\]" <<<"$1" | grep -o '","' | wc -l | awk '{print $1 + 1}'; }

# --- the worked example -------------------------------------------------------------------------------------------
out=$("$attend" explain --example seed) || fail "--example seed failed"
for word in "Step 1" "Step 2" "Step 3" dot scaled_dot general additive mlp "linear_in.weight" "sums to 1.000" "c = "; do
  grep -q -- "$word" <<<"$out" || fail "--example seed lacks '$word'"
done
# dot: q = [1, 0] scores the keys [1, 0], [0, 1], [1, 1] as 1, 0, 1.
grep -q "e = \[1.000, 0.000, 1.000\]" <<<"$out" || fail "--example seed: dot scores are not [1, 0, 1]"

# --- a tiny model ---------------------------------------------------------------------------------------------------
source "$src/tests/e2e/explain/tiny_model.sh"
ckpt=tiny/best.safetensors
input="24 Nov 2026"   # 11 source characters

line=$("$attend" explain $ckpt --input "$input" --format json) || fail "json failed"
[[ $(wc -l <<<"$line") == 1 ]] || fail "json: $(wc -l <<<"$line") lines for one output"
[[ $(count_items "$line" source) == 11 ]] || fail "json: $(count_items "$line" source) source tokens, expected 11"
T=$(count_items "$line" target)
grep -q '"mode":"decode"' <<<"$line" || fail "json lacks the mode"
grep -q '"kind":"rnn"' <<<"$line" || fail "json lacks the kind"
rows=$(grep -o '"weights":\[.*\]' <<<"$line" | grep -o '\],\[' | wc -l)
[[ $((rows + 1)) == "$T" ]] || fail "json: $((rows + 1)) weight rows for $T target tokens"

expect 0 "^24 Nov 2026  ->  .*score" -- "$attend" explain $ckpt --input "$input"
"$attend" explain $ckpt --input "$input" --format txt --out a.txt || fail "txt --out failed"
grep -q "N" a.txt || fail "txt lacks the source labels"
grep -q $'\x1b' a.txt && fail "txt written to a file has colour codes"

"$attend" explain $ckpt --input "$input" --format svg --out a.svg 2>/dev/null || fail "svg failed"
[[ $(grep -c '<rect class="cell"' a.svg) == $((T * 11)) ]] || fail "svg: $(grep -c '<rect class="cell"' a.svg) cells, expected $((T * 11))"
grep -q '<text class="col"[^>]*>N</text>' a.svg || fail "svg lacks the label N"

"$attend" explain $ckpt --input "$input" --format png --out a.png 2>/dev/null || fail "png failed"
[[ $(head -c 8 a.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "a.png is not a PNG"
expect 1 "format png writes a binary file: give --out FILE" -- "$attend" explain $ckpt --input "$input" --format png

"$attend" explain $ckpt --input "$input" --format html --out a.html || fail "html failed"
grep -q 'id="attend-data"' a.html || fail "html lacks its data"
grep -Eq 'src=|href=' a.html && fail "html refers to another file"

"$attend" explain $ckpt --input "$input" --format npy --out a.npy 2>/dev/null || fail "npy failed"
[[ $(head -c 6 a.npy | tail -c 5) == NUMPY ]] || fail "a.npy has no NumPy magic"
grep -aq "'shape': (1, $T, 11)" a.npy || fail "a.npy shape is not (1, $T, 11): $(head -c 120 a.npy | tail -c 110)"

al=$("$attend" explain $ckpt --input "$input" --format pharaoh) || fail "pharaoh failed"
grep -Eq '^[0-9]+-[0-9]+( [0-9]+-[0-9]+)*$' <<<"$al" || fail "not a Pharaoh line: '$al'"
words=$T
grep -q '"</s>"\]' <<<"$line" && words=$((T - 1))   # the EOS row is not a target token
[[ $(wc -w <<<"$al") == "$words" ]] || fail "pharaoh: $(wc -w <<<"$al") links for $words target tokens"
expect 0 "^AER [0-9.]+ \(precision" -- "$attend" explain $ckpt --input "$input" --format pharaoh --gold "0-0 1-1 3?2"
all=$("$attend" explain $ckpt --input "$input" --format pharaoh --threshold 0.01)
[[ $(wc -w <<<"$all") -ge $(wc -w <<<"$al") ]] || fail "--threshold 0.01 gave fewer links than argmax"

expect 1 "2 pictures \(one per hypothesis or head\) need --out FILE.svg" -- "$attend" explain $ckpt --input "$input" \
  --format svg --beam 3 --nbest 2
"$attend" explain $ckpt --input "$input" --format svg --beam 3 --nbest 2 --out nb.svg 2>/dev/null || fail "nbest svg failed"
[[ -f nb-0.svg && -f nb-1.svg && ! -e nb.svg ]] || fail "--nbest 2 svg did not write nb-0.svg and nb-1.svg: $(ls)"
two=$("$attend" explain $ckpt --input "$input" --format json --beam 3 --nbest 2) || fail "nbest json failed"
[[ $(wc -l <<<"$two") == 2 ]] || fail "--nbest 2: $(wc -l <<<"$two") lines"

ref=$("$attend" explain $ckpt --input "$input" --reference "2026-11-24" --format json) || fail "reference failed"
[[ $(count_items "$ref" target) == 11 ]] || fail "reference: $(count_items "$ref" target) target tokens, expected 11"
grep -q '"mode":"reference"' <<<"$ref" || fail "reference json lacks its mode"
expect 0 "log-probability -[0-9.]+" -- "$attend" explain $ckpt --input "$input" --reference "2026-11-24"

# --- errors -----------------------------------------------------------------------------------------------------------
expect 1 "layer 7 out of range: the model has 1 layer \(0\.\.0, or last\)" -- "$attend" explain $ckpt --input "$input" --layer 7
expect 1 "head 3 out of range: the attention has 1 head \(0, or all\)" -- "$attend" explain $ckpt --input "$input" --head 3
expect 1 "--kind cross not available: this rnn-attention model has rnn" -- "$attend" explain $ckpt --input "$input" --kind cross
expect 1 "--kind: unknown attention kind 'self'" -- "$attend" explain $ckpt --input "$input" --kind self
expect 1 "--reduce: expected none, mean or max, got 'sum'" -- "$attend" explain $ckpt --input "$input" --reduce sum
expect 1 "unknown --format 'gif'" -- "$attend" explain $ckpt --input "$input" --format gif
expect 1 "--input is empty" -- "$attend" explain $ckpt --input "  "
expect 1 "give the source text with --input" -- "$attend" explain $ckpt
expect 1 "link 2 '1-x' is malformed" -- "$attend" explain $ckpt --input "$input" --format pharaoh --gold "0-0 1-x"
expect 1 "unknown --example 'nope' \(available: seed\)" -- "$attend" explain --example nope
expect 2 "no_such.safetensors" -- "$attend" explain no_such.safetensors --input "$input"
# --- a tiny Transformer: every kind, layer, head and reduction, decoded and teacher-forced ------------------------
"$attend" train --config "$src/examples/configs/transformer.yaml" --data.train train.tsv --data.valid dev.tsv \
  --model.d_model 16 --model.heads 2 --model.ffn 32 --model.encoder_layers 2 --model.decoder_layers 3 \
  --data.max_batch_size 32 --train.threads 1 --train.steps 4 --train.valid_every 4 --train.out tf > tf.log 2>&1 ||
  fail "transformer training failed: $(tail -3 tf.log)"
tfc=tf/best.safetensors
tf=$("$attend" explain $tfc --input "$input" --format json) || fail "transformer json failed"
grep -q '"kind":"cross"' <<<"$tf" || fail "transformer json lacks kind cross"
grep -q 'cross, layer 2, mean of heads 0..1' <<<"$tf" || fail "transformer default is not the last layer's mean"
# rows_of JSON_LINE: the number of weight rows; cols_of: the entries of the first row.
rows_of() { grep -o '"weights":\[.*\]' <<<"$1" | grep -o '\],\[' | wc -l | awk '{print $1 + 1}'; }
cols_of() { grep -o '"weights":\[\[[^]]*\]' <<<"$1" | grep -o ',' | wc -l | awk '{print $1 + 1}'; }
for mode in decode reference; do
  extra=()
  [[ $mode == reference ]] && extra=(--reference "2026-11-24")
  for kind in encoder-self decoder-self cross; do
    # one panel per (layer, head): 2 encoder or 3 decoder layers of 2 heads
    lines=$("$attend" explain $tfc --input "$input" "${extra[@]}" --kind $kind --layer all --head all --reduce none \
      --format json) || fail "$mode $kind json failed"
    want=6; [[ $kind == encoder-self ]] && want=4
    [[ $(wc -l <<<"$lines") == "$want" ]] || fail "$mode $kind: $(wc -l <<<"$lines") panels, expected $want"
    first=$(head -1 <<<"$lines")
    grep -q "\"mode\":\"$mode\"" <<<"$first" || fail "$mode $kind: json lacks the mode"
    grep -q "\"kind\":\"$kind\"" <<<"$first" || fail "$mode $kind: json lacks the kind"
    grep -q "$kind, layer 0, head 0" <<<"$first" || fail "$mode $kind: first panel is not layer 0, head 0"
    R=$(rows_of "$first") C=$(cols_of "$first")
    T=$(count_items "$first" target) S=$(count_items "$first" source)
    case $kind in
      encoder-self) [[ $R == "$S" && $C == "$S" ]] || fail "$mode encoder-self: [$R, $C] weights, expected [$S, $S]" ;;
      decoder-self) [[ $R == "$T" && $C == "$T" ]] || fail "$mode decoder-self: [$R, $C] weights, expected [$T, $T]"
                    grep -Eq '"weights":\[\[(1\.0|0\.99999[0-9]*),0\.0' <<<"$first" ||
                      fail "$mode decoder-self: row 0 is not [1, 0, ...]" ;;
      cross) [[ $R == "$T" && $C == "$S" ]] || fail "$mode cross: [$R, $C] weights, expected [$T, $S]" ;;
    esac
    for format in txt svg html pharaoh; do
      "$attend" explain $tfc --input "$input" "${extra[@]}" --kind $kind --layer 1 --head 1 --format $format \
        --out "tf-$mode-$kind.$format" 2>/dev/null || fail "$mode $kind --format $format failed"
    done
    for format in png npy; do
      "$attend" explain $tfc --input "$input" "${extra[@]}" --kind $kind --layer last --head 0..1 --reduce max \
        --format $format --out "tf-$mode-$kind.$format" 2>/dev/null || fail "$mode $kind --format $format failed"
    done
    grep -aq "'shape': (1, " "tf-$mode-$kind.npy" || fail "$mode $kind: npy is not one panel"
  done
done
nb=$("$attend" explain $tfc --input "$input" --kind decoder-self --layer 0 --head 1 --beam 3 --nbest 2 --format json) ||
  fail "transformer nbest decoder-self failed"
[[ $(wc -l <<<"$nb") == 2 ]] || fail "transformer --nbest 2: $(wc -l <<<"$nb") lines"
expect 1 "layer 7 out of range: the model has 3 layers \(0\.\.2, or last\)" -- "$attend" explain $tfc \
  --input "$input" --layer 7
expect 1 "layer 2 out of range: the model has 2 layers \(0\.\.1, or last\)" -- "$attend" explain $tfc \
  --input "$input" --kind encoder-self --layer 2
expect 1 "head 5 out of range: the attention has 2 heads \(0\.\.1, or all\)" -- "$attend" explain $tfc \
  --input "$input" --kind decoder-self --head 5 --reference "2026-11-24"
expect 1 "--kind rnn not available: this transformer model has encoder-self, decoder-self, cross" -- \
  "$attend" explain $tfc --input "$input" --kind rnn

ls | grep -q '\.tmp\.' && fail "a temporary file was left behind: $(ls)"

if [[ $failures == 0 ]]; then echo "explain cli: PASS"; else echo "explain cli: $failures failures"; exit 1; fi
