# e2e: tiny trainings reach their goal. A Bahdanau GRU seq2seq trained with Adam learns to reverse digit sequences
# and must reach 100% held-out token accuracy (greedy decoding through the step API) within its step budget; the
# program exits 0 only then. A few seconds in a Release build on 2 shared cores.
add_executable(attend_e2e_seq2seq_reverse ${CMAKE_CURRENT_LIST_DIR}/seq2seq/reverse_task.cpp)
target_link_libraries(attend_e2e_seq2seq_reverse PRIVATE attend::attend)
attend_set_warnings(attend_e2e_seq2seq_reverse)

add_test(NAME e2e.seq2seq_reverse_trains_to_100_percent
         COMMAND attend_e2e_seq2seq_reverse --max-steps 1000 --threads 1)
set_tests_properties(e2e.seq2seq_reverse_trains_to_100_percent PROPERTIES
                     LABELS e2e TIMEOUT 300
                     PASS_REGULAR_EXPRESSION "seq2seq reverse: PASS after [0-9]+ steps")
