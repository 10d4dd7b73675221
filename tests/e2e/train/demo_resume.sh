#!/usr/bin/env bash
# e2e: `attend demo --steps N` stopped by SIGTERM (or by a smaller budget) and continued with --resume ends bitwise
# equal to an uninterrupted run (the parameter digest in --metrics). Usage: demo_resume.sh ATTEND_BINARY WORK_DIR
set -u
attend=$1
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
digest() { sed -n 's/^ *"parameter_digest": "\([0-9a-f]*\)",\{0,1\}$/\1/p' "$1"; }
ok=1
"$attend" demo --steps 30 --threads 1 --out straight --metrics straight.json > straight.log 2>&1 || { tail -5 straight.log; echo "straight run failed"; exit 1; }
# Interrupted by a smaller budget, then resumed.
"$attend" demo --steps 12 --threads 1 --out parts > /dev/null 2>&1 || { echo "part 1 failed"; exit 1; }
"$attend" demo --steps 30 --threads 1 --out parts --resume --metrics parts.json > parts.log 2>&1 || { tail -5 parts.log; echo "resume failed"; exit 1; }
grep -q "resuming from parts/step-00000012.safetensors" parts.log || { echo "did not resume: $(head -3 parts.log)"; ok=0; }
[[ -n $(digest straight.json) && $(digest straight.json) == $(digest parts.json) ]] ||
  { echo "budget + resume differs: $(digest straight.json) vs $(digest parts.json)"; ok=0; }
# Interrupted by SIGTERM once training runs, then resumed.
"$attend" demo --steps 30 --threads 1 --out sig > sig.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q "^model:" sig.log && break; sleep 0.05; done
sleep 0.5
kill -TERM $pid
wait $pid
code=$?
[[ $code == 0 ]] || { echo "SIGTERM: exit $code: $(tail -3 sig.log)"; ok=0; }
"$attend" demo --steps 30 --threads 1 --out sig --resume --metrics sig.json > sig2.log 2>&1 || { tail -5 sig2.log; echo "resume after SIGTERM failed"; ok=0; }
# Resuming a finished run trains nothing more.
"$attend" demo --steps 30 --threads 1 --out straight --resume --metrics again.json > again.log 2>&1 || { echo "resume of a finished run failed"; ok=0; }
grep -q "stopped after 30 steps" again.log || { echo "resume of a finished run trained on: $(grep stopped again.log)"; ok=0; }
[[ $(digest straight.json) == $(digest again.json) ]] || { echo "resume of a finished run changed the model"; ok=0; }
[[ $(digest straight.json) == $(digest sig.json) ]] ||
  { echo "SIGTERM + resume differs: $(digest straight.json) vs $(digest sig.json) ($(grep -c resuming sig2.log) resumes)"; ok=0; }
[[ $ok == 1 ]] && echo "demo resume: PASS"
