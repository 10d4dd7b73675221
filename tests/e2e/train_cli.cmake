# e2e: the training CLI end to end (tests/e2e/train/train_cli.sh): train, info, translate, eval, resume after a step
# budget and after SIGTERM (bitwise equal to an uninterrupted run), and the errors users make.
if(TARGET attend_cli)
  add_test(NAME e2e.train_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/train/train_cli.sh $<TARGET_FILE:attend_cli> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/train_cli)
  set_tests_properties(e2e.train_cli PROPERTIES LABELS e2e TIMEOUT 600 PASS_REGULAR_EXPRESSION "train cli: PASS")
  # The main job at a short budget: it trains, the loss falls and the metrics file is complete.
  add_test(NAME e2e.demo_short
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/train/demo_short.sh $<TARGET_FILE:attend_cli>
                   ${CMAKE_CURRENT_BINARY_DIR}/demo_short)
  set_tests_properties(e2e.demo_short PROPERTIES LABELS e2e TIMEOUT 300 PASS_REGULAR_EXPRESSION "demo short: PASS")
  # demo --steps, stopped by a smaller budget or by SIGTERM, then --resume: bitwise equal to an uninterrupted run.
  add_test(NAME e2e.demo_resume
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/train/demo_resume.sh $<TARGET_FILE:attend_cli>
                   ${CMAKE_CURRENT_BINARY_DIR}/demo_resume)
  set_tests_properties(e2e.demo_resume PROPERTIES LABELS e2e TIMEOUT 300 PASS_REGULAR_EXPRESSION "demo resume: PASS")
endif()
