# attend bench: each workload runs at a tiny size and prints a JSON line with the anchor's keys; bad flags fail.
if(TARGET attend_cli)
  add_test(NAME e2e.bench_matmul COMMAND attend_cli bench matmul --n 64 --threads 1 --reps 1 --seconds 0)
  set_tests_properties(e2e.bench_matmul PROPERTIES LABELS e2e
                       PASS_REGULAR_EXPRESSION "\"bench\":\"matmul\".*\"impl\":\"attend\".*\"ms_median\"")
  add_test(NAME e2e.bench_softmax COMMAND attend_cli bench softmax --shape 2,3 --threads 1 --reps 1 --seconds 0)
  set_tests_properties(e2e.bench_softmax PROPERTIES LABELS e2e PASS_REGULAR_EXPRESSION "\"ms_median\"")
  add_test(NAME e2e.bench_rejects_bad_n COMMAND attend_cli bench matmul --n -3)
  set_tests_properties(e2e.bench_rejects_bad_n PROPERTIES LABELS e2e WILL_FAIL TRUE)
  add_test(NAME e2e.bench_rejects_bad_shape COMMAND attend_cli bench softmax --shape 2,x)
  set_tests_properties(e2e.bench_rejects_bad_shape PROPERTIES LABELS e2e WILL_FAIL TRUE)
endif()
