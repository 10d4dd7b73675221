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

  # attend_bench_cli_test(name code regex args...): exit code and output both checked (expect_exit.cmake).
  # JSON keys come out sorted, so the regexes list them in alphabetical order.
  function(attend_bench_cli_test name code regex)
    list(JOIN ARGN "|" joined)
    add_test(NAME e2e.${name}
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attend_cli> "-DARGS=bench|${joined}"
                     -DEXPECT_CODE=${code} "-DEXPECT_REGEX=${regex}"
                     -P ${CMAKE_CURRENT_LIST_DIR}/parity/expect_exit.cmake)
    set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 60)
  endfunction()

  set(num "[0-9.e+-]+")
  set(tiny_attention --n 8 --batch 2 --heads 2 --head-dim 4 --threads 1 --reps 1 --seconds 0)
  string(CONCAT core_keys "\"H\":2,\"bench\":\"attention\",\"d\":4,\"gflops_core_max\":${num},"
                          "\"gflops_core_median\":${num},\"gflops_core_min\":${num},")
  string(CONCAT stats_keys "\"ms_max\":${num},\"ms_median\":${num},\"ms_min\":${num},\"n\":8,"
                           "\"peak_rss_mib\":${num},\"rss_base_mib\":${num},\"samples\":[1-9][0-9]*,\"threads\":1,")
  attend_bench_cli_test(bench_attention_fwd 0
                        "{\"B\":2,${core_keys}\"impl\":\"attend\",\"mode\":\"fwd\",${stats_keys}\"variant\":\"naive\"}"
                        attention ${tiny_attention})
  attend_bench_cli_test(bench_attention_causal_fwdbwd 0
                        "{\"B\":2,${core_keys}\"impl\":\"attend\",\"mode\":\"fwdbwd\",${stats_keys}\"variant\":\"causal\"}"
                        attention ${tiny_attention} --mode fwdbwd --causal)
  foreach(impl fused composite)
    attend_bench_cli_test(bench_attention_dropout_${impl} 0
                          "\"attention_impl\":\"${impl}\",.*\"dropout\":0.25,.*\"mode\":\"fwdbwd\","
                          attention ${tiny_attention} --mode fwdbwd --dropout 0.25 --impl ${impl})
  endforeach()
  attend_bench_cli_test(bench_attention_bf16_fwd 0 "\"mode\":\"fwd\",.*\"precision\":\"bf16\",.*\"variant\":\"causal\""
                        attention ${tiny_attention} --causal --precision bf16)
  attend_bench_cli_test(bench_attention_bf16_fwdbwd 0 "\"mode\":\"fwdbwd\",.*\"precision\":\"bf16\""
                        attention ${tiny_attention} --mode fwdbwd --precision bf16)
  attend_bench_cli_test(bench_attention_bf16_rejects_composite 1
                        "--precision bf16 runs only the fused kernel, not --impl composite"
                        attention ${tiny_attention} --impl composite --precision bf16)
  attend_bench_cli_test(bench_attention_rejects_bad_precision 105 "--precision: f16 not in {f32,bf16}"
                        attention --precision f16)
  set(tiny_mha --n 8 --embed 8 --heads 2 --batch 2 --threads 1 --reps 1 --seconds 0)
  string(CONCAT mha_keys "{\"B\":2,\"E\":8,${core_keys}\"gflops_total_median\":${num},\"impl\":\"attend\",")
  attend_bench_cli_test(bench_mha_fwd 0 "${mha_keys}\"mode\":\"fwd\",${stats_keys}\"variant\":\"mha\"}"
                        mha ${tiny_mha})
  attend_bench_cli_test(bench_mha_fwdbwd 0 "${mha_keys}\"mode\":\"fwdbwd\",${stats_keys}\"variant\":\"mha\"}"
                        mha ${tiny_mha} --mode fwdbwd)

  # Bad flags: CLI11's validation error (exit code 105) naming the flag and the accepted values.
  attend_bench_cli_test(bench_attention_rejects_n0 105 "--n: Value 0 not in range 1 to 65536" attention --n 0)
  attend_bench_cli_test(bench_attention_rejects_bad_mode 105 "--mode: foo not in {fwd,fwdbwd}" attention --mode foo)
  attend_bench_cli_test(bench_attention_rejects_dropout_1 105 "--dropout: Value 1 not in range 0.000000 to 0.990000"
                        attention --dropout 1)
  attend_bench_cli_test(bench_mha_rejects_n0 105 "--n: Value 0 not in range 1 to 65536" mha --n 0)
  attend_bench_cli_test(bench_mha_rejects_bad_mode 105 "--mode: bwd not in {fwd,fwdbwd}" mha --mode bwd)
  attend_bench_cli_test(bench_mha_rejects_heads_not_dividing_embed 105
                        "--heads: must divide --embed \\(got --heads 3, --embed 8\\)" mha --embed 8 --heads 3 --n 4)
endif()
