# Sourced by the explain e2e scripts: trains a tiny rnn-attention model on the demo's dates in a few seconds.
# Needs $attend and $src; leaves tiny/best.safetensors in the current folder or exits 1.
"$attend" demo --dump-data data > /dev/null || { echo "demo --dump-data failed"; exit 1; }
head -n 600 data/train.tsv > train.tsv
head -n 50 data/heldout.tsv > dev.tsv
"$attend" train --config "$src/examples/configs/dates-rnn.yaml" --data.train train.tsv --data.valid dev.tsv \
  --model.hidden 24 --model.embedding 12 --data.max_batch_size 32 --train.threads 1 --train.steps "${steps:-30}" \
  --train.valid_every "${steps:-30}" --train.out tiny > train.log 2>&1 || { tail -5 train.log; echo "training failed"; exit 1; }
[[ -f tiny/best.safetensors ]] || { echo "no tiny/best.safetensors"; exit 1; }
