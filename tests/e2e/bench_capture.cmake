# attend bench capture: a tiny Transformer, each workload prints one JSON line per variant (none, cross, all) with
# its median and its ratio to none; fewer than 3 rounds are refused naming the flag.
if(TARGET attend_cli)
  set(tiny --batch 2 --src-len 3 --tgt-len 4 --d-model 8 --heads 2 --layers 2 --vocab 11 --rounds 3 --calls 1)
  foreach(workload greedy forward)
    add_test(NAME e2e.bench_capture_${workload} COMMAND attend_cli bench capture --workload ${workload} ${tiny})
    string(CONCAT lines "\"ratio_to_none\":1\\.0,.*\"variant\":\"none\".*\"variant\":\"cross\".*"
                        "\"variant\":\"all\",\"vocab\":11,\"workload\":\"${workload}\"")
    set_tests_properties(e2e.bench_capture_${workload} PROPERTIES LABELS e2e TIMEOUT 60
                         PASS_REGULAR_EXPRESSION "${lines}")
  endforeach()
  add_test(NAME e2e.bench_capture_rejects_two_rounds COMMAND attend_cli bench capture --rounds 2)
  set_tests_properties(e2e.bench_capture_rejects_two_rounds PROPERTIES LABELS e2e TIMEOUT 30
                       PASS_REGULAR_EXPRESSION "--rounds")
endif()
