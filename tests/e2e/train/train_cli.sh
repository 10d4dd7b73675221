#!/usr/bin/env bash
# e2e: attend train / info / translate / eval / demo --dump-data on a small generated corpus, the resume guarantees
# (a run stopped by its step budget or by SIGTERM and resumed ends bitwise equal to an uninterrupted one) and the
# errors users make (bad config keys and values, missing or malformed files, bad flags).
# Usage: train_cli.sh ATTEND_BINARY SOURCE_DIR WORK_DIR
set -u
attend=$1
src=$2
work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
source "$src/tests/e2e/lib/expect.sh"
# json FILE KEY: the value of a top-level key of a metrics file (one "key": value per line).
json() { sed -n "s/^ *\"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1"; }

# --- data from the demo's generator -------------------------------------------------------------------------------
expect 0 "wrote 50000 training and 2000 held-out" -- "$attend" demo --dump-data data
head -n 1500 data/train.tsv > train.tsv
head -n 100 data/heldout.tsv > dev.tsv
cut -f1 dev.tsv | head -n 20 > sources.txt
[[ $(wc -l < train.tsv) == 1500 ]] || fail "demo --dump-data wrote too few lines"

cfg="$src/examples/configs/dates-rnn.yaml"
common=(--config "$cfg" --data.train train.tsv --data.valid dev.tsv --model.hidden 32 --model.embedding 16
        --data.max_batch_size 32 --train.threads 1)

# --- train, info, translate, eval ---------------------------------------------------------------------------------
expect 0 "stopped after 40 steps \(steps\)" -- "$attend" train "${common[@]}" --train.steps 40 --train.valid_every 20 \
  --train.out run --metrics run.json
for key in steps train_seconds examples_per_second first_loss last_loss exact_match bleu parameter_digest; do
  grep -q "\"$key\"" run.json || fail "train --metrics lacks $key"
done
python_ok=$(awk -F': ' '/"first_loss"/{f=$2} /"last_loss"/{l=$2} END{print (l+0 < f+0) ? "yes" : "no"}' run.json)
[[ $python_ok == yes ]] || fail "training loss did not fall: $(cat run.json)"
[[ -f run/best.safetensors && -f run/step-00000040.safetensors ]] || fail "checkpoints missing: $(ls run)"
ls run | grep -q tmp && fail "a temporary file was left in run/"
expect 0 "^model: rnn-attention" -- "$attend" info run/step-00000040.safetensors
expect 0 "^parameters: [0-9]+ in [0-9]+ tensors" -- "$attend" info run/step-00000040.safetensors
expect 0 "^training: step 40, epoch 1," -- "$attend" info run/step-00000040.safetensors
expect 0 "^config:" -- "$attend" info run/best.safetensors --config
out=$("$attend" translate run/best.safetensors < sources.txt) || fail "translate failed"
[[ $(wc -l <<<"$out") == 20 ]] || fail "translate gave $(wc -l <<<"$out") lines for 20 inputs"
"$attend" translate run/best.safetensors -i sources.txt -o out.txt --beam 3 || fail "translate -o failed"
[[ $(wc -l < out.txt) == 20 ]] || fail "translate -o wrote $(wc -l < out.txt) lines"
expect 0 "^0 \|\|\| .* \|\|\| -?[0-9.]+$" -- "$attend" translate run/best.safetensors -i sources.txt --beam 3 --nbest 2
n=$("$attend" translate run/best.safetensors -i sources.txt --beam 3 --nbest 2 | wc -l)
[[ $n == 40 ]] || fail "--nbest 2 gave $n lines for 20 inputs"
expect 0 "exact match [0-9.]+%, BLEU [0-9.]+ \(100 sentences, beam 2\)" -- "$attend" eval run/best.safetensors \
  --data dev.tsv --beam 2 --metrics eval.json
grep -q '"exact_match"' eval.json || fail "eval --metrics lacks exact_match"

# --- resume: a step budget, then --resume with a larger one == one uninterrupted run ------------------------------
"$attend" train "${common[@]}" --train.steps 24 --train.valid_every 8 --train.out straight --metrics straight.json \
  > /dev/null || fail "straight run failed"
"$attend" train "${common[@]}" --train.steps 8 --train.valid_every 8 --train.out parts > /dev/null || fail "part 1"
expect 0 "resuming from parts/step-00000008.safetensors" -- "$attend" train "${common[@]}" --train.steps 24 \
  --train.valid_every 8 --train.out parts --resume --metrics parts.json
[[ $(json straight.json parameter_digest) == $(json parts.json parameter_digest) ]] ||
  fail "resumed run differs: $(json straight.json parameter_digest) vs $(json parts.json parameter_digest)"

# --- resume after SIGTERM -------------------------------------------------------------------------------------------
"$attend" train "${common[@]}" --train.steps 400 --train.valid_every 200 --train.out sig > sig.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q "^model:" sig.log && break; sleep 0.05; done
sleep 0.3
kill -TERM $pid
wait $pid
code=$?
[[ $code == 0 ]] || fail "SIGTERM: exit $code (expected 0): $(tail -3 sig.log)"
grep -q "(signal)" sig.log || fail "SIGTERM: no clean stop: $(tail -3 sig.log)"
ls sig/step-*.safetensors > /dev/null 2>&1 || fail "SIGTERM: no checkpoint written"
"$attend" train "${common[@]}" --train.steps 400 --train.valid_every 200 --train.out sig --resume --metrics sig.json \
  > /dev/null || fail "resume after SIGTERM failed"
"$attend" train "${common[@]}" --train.steps 400 --train.valid_every 200 --train.out nosig --metrics nosig.json \
  > /dev/null || fail "uninterrupted 400-step run failed"
[[ $(json sig.json parameter_digest) == $(json nosig.json parameter_digest) ]] ||
  fail "SIGTERM + resume differs from the uninterrupted run"

# --- user errors ----------------------------------------------------------------------------------------------------
printf 'model:\n  hiden: 3\n' > typo.yaml
expect 1 "hiden.*did you mean.*hidden" -- "$attend" train --config typo.yaml --data.train train.tsv
expect 1 "model.cell must be one of" -- "$attend" train "${common[@]}" --model.cell gur
expect 1 "model.hidden" -- "$attend" train "${common[@]}" --model.hidden 12x
expect 2 "no_such.yaml" -- "$attend" train --config no_such.yaml
expect 2 "missing.tsv" -- "$attend" train "${common[@]}" --data.train missing.tsv
printf 'ok\tok\nbad \xff byte\tx\n' > bad_utf8.tsv
expect 1 "bad_utf8.tsv.*2" -- "$attend" train "${common[@]}" --data.train bad_utf8.tsv --train.steps 1
head -c 3000 run/best.safetensors > truncated.safetensors
expect 1 "truncated.safetensors" -- "$attend" translate truncated.safetensors < sources.txt
expect 1 "not an attend checkpoint|format" -- "$attend" info "$src/tests/golden/linear_bias_2d.safetensors"
expect 2 "nothing_here.safetensors" -- "$attend" info nothing_here.safetensors
expect 1 "--nbest <= --beam" -- "$attend" translate run/best.safetensors --beam 2 --nbest 3
expect 1 "unknown length penalty .wide." -- "$attend" translate run/best.safetensors --length-penalty wide
expect 1 "exactly one of them" -- "$attend" eval run/best.safetensors

if [[ $failures == 0 ]]; then echo "train cli: PASS"; else echo "train cli: $failures failure(s)"; exit 1; fi
