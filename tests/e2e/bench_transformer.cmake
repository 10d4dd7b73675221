# attend bench transformer: tiny runs print the anchor's JSON keys (transformer.py) with consistent values
# (tests/e2e/bench/transformer_record.sh); bad flags fail with a message naming the flag.
if(TARGET attend_cli)
  # attend_bench_transformer_test(name code regex args...): exit code and output both checked (expect_exit.cmake).
  function(attend_bench_transformer_test name code regex)
    list(JOIN ARGN "|" joined)
    add_test(NAME e2e.${name}
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attend_cli> "-DARGS=bench|transformer|${joined}"
                     -DEXPECT_CODE=${code} "-DEXPECT_REGEX=${regex}"
                     -P ${CMAKE_CURRENT_LIST_DIR}/parity/expect_exit.cmake)
    set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 60)
  endfunction()

  # JSON keys come out sorted, so the regexes list them in alphabetical order. Every timing and rate is positive: no
  # sign, a non-zero digit (CMake's regexes allow only 9 groups, hence no stricter number syntax).
  set(pos "[0-9.]*[1-9][0-9.e+-]*")
  set(tiny --batch 2 --seq 8 --d-model 16 --heads 2 --ffn 32 --threads 1 --reps 2 --seconds 0 --warmup 0)
  foreach(mode fwd fwdbwd)
    string(CONCAT keys "{\"batch\":2,\"bench\":\"transformer_layer\",\"d_model\":16,\"dropout\":0\\.0,\"ffn\":32,"
                       "\"gflops_max\":${pos},\"gflops_median\":${pos},\"gflops_min\":${pos},\"heads\":2,"
                       "\"impl\":\"attend\",\"mode\":\"${mode}\",\"ms_max\":${pos},\"ms_median\":${pos},"
                       "\"ms_min\":${pos},\"peak_rss_mib\":${pos},\"rss_base_mib\":${pos},\"samples\":2,\"seq\":8,"
                       "\"threads\":1,\"tokens_per_s_median\":${pos}}")
    attend_bench_transformer_test(bench_transformer_${mode} 0 "${keys}" ${tiny} --mode ${mode})
  endforeach()
  # The values agree with each other: the anchor's FLOP count, tokens / time, min <= median <= max.
  add_test(NAME e2e.bench_transformer_record
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bench/transformer_record.sh $<TARGET_FILE:attend_cli>)
  set_tests_properties(e2e.bench_transformer_record PROPERTIES LABELS e2e TIMEOUT 60
                       PASS_REGULAR_EXPRESSION "bench transformer record: PASS")

  # Bad flags: CLI11's validation error (exit code 105) naming the flag and the accepted values; 109: unknown flag.
  attend_bench_transformer_test(bench_transformer_rejects_heads_not_dividing_d_model 105
                                "--heads: must divide --d-model \\(got --heads 3, --d-model 16\\)"
                                --d-model 16 --heads 3)
  attend_bench_transformer_test(bench_transformer_rejects_bad_mode 105 "--mode: bwd not in {fwd,fwdbwd}" --mode bwd)
  attend_bench_transformer_test(bench_transformer_rejects_seq0 105 "--seq: Value 0 not in range 1 to 65536" --seq 0)
  attend_bench_transformer_test(bench_transformer_rejects_negative_ffn 105
                                "--ffn: Value -2 not in range 1 to 1048576" --ffn -2)
  attend_bench_transformer_test(bench_transformer_rejects_unknown_flag 109 "--n" --n 128)
endif()
