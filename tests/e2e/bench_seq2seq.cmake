# attend bench seq2seq: tiny training steps print the anchor's JSON keys (seq2seq.py) for each attention kind; bad
# flags fail with a message naming the flag.
if(TARGET attend_cli)
  # attend_bench_seq2seq_test(name code regex args...): exit code and output both checked (expect_exit.cmake).
  function(attend_bench_seq2seq_test name code regex)
    list(JOIN ARGN "|" joined)
    add_test(NAME e2e.${name}
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attend_cli> "-DARGS=bench|seq2seq|${joined}"
                     -DEXPECT_CODE=${code} "-DEXPECT_REGEX=${regex}"
                     -P ${CMAKE_CURRENT_LIST_DIR}/parity/expect_exit.cmake)
    set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 60)
  endfunction()

  # JSON keys come out sorted, so the regexes list them in alphabetical order. The loss of a random-token model
  # starts near ln(11) = 2.40.
  set(num "[0-9.e+-]+")
  set(tiny --batch 2 --src-len 3 --tgt-len 4 --vocab 11 --emb 4 --hidden 6 --threads 1 --steps 2 --warmup 1)
  string(CONCAT tail_keys "\"params\":[1-9][0-9]*,\"peak_rss_mib\":${num},\"samples\":2,\"src_len\":3,\"tgt_len\":4,"
                          "\"tgt_tokens_per_s_max\":${num},\"tgt_tokens_per_s_median\":${num},"
                          "\"tgt_tokens_per_s_min\":${num},\"threads\":1,\"vocab\":11}")
  foreach(kind bahdanau luong-general luong-dot)
    string(REPLACE "-" "_" model ${kind})
    string(CONCAT keys "{\"attention\":\"${kind}\",\"batch\":2,\"bench\":\"seq2seq\",\"emb\":4,\"enc_hidden\":3,"
                       "\"fwd_nograd_ms_median\":${num},\"hidden\":6,\"impl\":\"attend\",\"loss_first\":2\\.[0-9]+,"
                       "\"loss_last\":${num},\"model\":\"${model}\",\"ms_max\":${num},\"ms_median\":${num},"
                       "\"ms_min\":${num},\"notes\":\"[^\"]+\",${tail_keys}")
    attend_bench_seq2seq_test(bench_seq2seq_${model} 0 "${keys}" --attention ${kind} ${tiny})
  endforeach()
  # No warm-up: every step is timed.
  attend_bench_seq2seq_test(bench_seq2seq_no_warmup 0 "\"model\":\"bahdanau\".*\"samples\":1,"
                            --batch 2 --src-len 3 --tgt-len 3 --vocab 11 --emb 4 --hidden 6 --steps 1 --warmup 0)

  # Bad flags: CLI11's validation error (exit code 105) naming the flag and the accepted values; 109: unknown flag.
  attend_bench_seq2seq_test(bench_seq2seq_rejects_bad_attention 105
                            "--attention: foo not in {bahdanau,luong-general,luong-dot}" --attention foo)
  attend_bench_seq2seq_test(bench_seq2seq_rejects_batch0 105 "--batch: Value 0 not in range 1 to 1000000" --batch 0)
  attend_bench_seq2seq_test(bench_seq2seq_rejects_steps0 105 "--steps: Value 0 not in range 1 to 1000000" --steps 0)
  attend_bench_seq2seq_test(bench_seq2seq_rejects_odd_hidden 105
                            "--hidden: must be even: .* per direction \\(got --hidden 5\\)"
                            --hidden 5)
  attend_bench_seq2seq_test(bench_seq2seq_rejects_unknown_flag 109 "--mode" --mode fwd)
endif()
