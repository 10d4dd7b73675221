# Sourced by the e2e scripts: failure counting and `expect`, the one way they check a command.
#   fail MESSAGE...                  counts a failure (the script ends with a PASS line only when failures == 0)
#   expect CODE REGEX -- command...  runs the command; its exit code must be CODE and its combined output match REGEX;
#                                    with ONE_LINE_ERRORS=1, exit code 1 must also come with exactly one
#                                    "attend: error:" line
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() {
  local code=$1 regex=$2
  shift 3
  local out
  out=$("$@" 2>&1)
  local got=$?
  if [[ $got != "$code" ]]; then fail "exit $got (expected $code): $*"; echo "$out" | tail -5; return; fi
  if ! grep -Eq -- "$regex" <<<"$out"; then fail "output of '$*' lacks /$regex/"; echo "$out" | tail -5; fi
  if [[ ${ONE_LINE_ERRORS:-0} == 1 && $code == 1 && $(grep -c '^attend: error:' <<<"$out") != 1 ]]; then
    fail "not a one-line error: $out"
  fi
}
