# attend bench lstm | gru: tiny runs print the anchor's JSON keys (rnn.py); bad flags fail with CLI11's message.
if(TARGET attend_cli)
  # attend_bench_rnn_test(name code regex args...): exit code and output both checked (expect_exit.cmake).
  function(attend_bench_rnn_test name code regex)
    list(JOIN ARGN "|" joined)
    add_test(NAME e2e.${name}
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attend_cli> "-DARGS=bench|${joined}"
                     -DEXPECT_CODE=${code} "-DEXPECT_REGEX=${regex}"
                     -P ${CMAKE_CURRENT_LIST_DIR}/parity/expect_exit.cmake)
    set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 60)
  endfunction()

  # JSON keys come out sorted, so the regexes list them in alphabetical order.
  set(num "[0-9.e+-]+")
  set(tiny_rnn --seq 3 --batch 2 --input 4 --hidden 5 --threads 1 --reps 1 --seconds 0)
  string(CONCAT rnn_stats "\"ms_max\":${num},\"ms_median\":${num},\"ms_min\":${num},\"peak_rss_mib\":${num},"
                          "\"samples\":[1-9][0-9]*,\"seq\":3,\"threads\":1,\"tokens_per_s_max\":${num},"
                          "\"tokens_per_s_median\":${num},\"tokens_per_s_min\":${num}}")
  string(CONCAT lstm_fwd "{\"batch\":2,\"bench\":\"rnn\",\"bidirectional\":false,\"cell\":\"LSTM\","
                         "\"gflops_median\":${num},\"hidden\":5,\"impl\":\"attend\",\"input\":4,\"mode\":\"fwd\",")
  attend_bench_rnn_test(bench_lstm_fwd 0 "${lstm_fwd}${rnn_stats}" lstm ${tiny_rnn})
  string(CONCAT gru_fwdbwd "{\"batch\":2,\"bench\":\"rnn\",\"bidirectional\":true,\"cell\":\"GRU\","
                           "\"gflops_median\":${num},\"hidden\":5,\"impl\":\"attend\",\"input\":4,\"mode\":\"fwdbwd\",")
  attend_bench_rnn_test(bench_gru_bidirectional_fwdbwd 0 "${gru_fwdbwd}${rnn_stats}"
                        gru ${tiny_rnn} --bidirectional --mode fwdbwd)
  attend_bench_rnn_test(bench_lstm_bidirectional_fwdbwd 0
                        "\"bidirectional\":true,\"cell\":\"LSTM\".*\"mode\":\"fwdbwd\""
                        lstm ${tiny_rnn} --bidirectional --mode fwdbwd)

  # Bad flags: CLI11's validation error (exit code 105) naming the flag and the accepted values; 109: unknown flag.
  attend_bench_rnn_test(bench_lstm_rejects_seq0 105 "--seq: Value 0 not in range 1 to 65536" lstm --seq 0)
  attend_bench_rnn_test(bench_gru_rejects_negative_hidden 105 "--hidden: Value -4 not in range 1 to 65536"
                        gru --hidden -4)
  attend_bench_rnn_test(bench_gru_rejects_bad_mode 105 "--mode: bwd not in {fwd,fwdbwd}" gru --mode bwd)
  attend_bench_rnn_test(bench_lstm_rejects_bad_threads 105 "--threads: Value 0 not in range 1 to 1024" lstm --threads 0)
  attend_bench_rnn_test(bench_lstm_rejects_unknown_flag 109 "--layers" lstm --layers 2)
endif()
