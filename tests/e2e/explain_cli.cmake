# e2e: attend explain end to end (tests/e2e/explain/explain_cli.sh): the worked example, every output format on a tiny
# trained model, teacher-forced scoring of a reference, AER against a gold alignment, and the errors users make.
# The HTML page in a real browser (tests/e2e/explain/html_browser.sh): skipped, saying why, without Chromium.
if(TARGET attend_cli)
  add_test(NAME e2e.explain_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/explain/explain_cli.sh $<TARGET_FILE:attend_cli> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/explain_cli)
  set_tests_properties(e2e.explain_cli PROPERTIES LABELS e2e TIMEOUT 300 PASS_REGULAR_EXPRESSION "explain cli: PASS")
  add_test(NAME e2e.explain_html_browser
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/explain/html_browser.sh $<TARGET_FILE:attend_cli> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/explain_html_browser)
  set_tests_properties(e2e.explain_html_browser PROPERTIES LABELS e2e TIMEOUT 300
                       PASS_REGULAR_EXPRESSION "html browser: PASS" SKIP_REGULAR_EXPRESSION "html browser: SKIPPED")
endif()
