# bench/compare.sh and bench/compare_table.py without running a benchmark: compare.sh's workload syntax (checked
# before anything is built or timed; tests/e2e/compare/workloads.sh) and the table of a fixed set of records
# (tests/e2e/compare/table.sh) and the anchor selector it writes, on a fake anchor (compare/selector.sh); the last
# two are skipped without Python 3.
add_test(NAME e2e.compare_workloads
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/compare/workloads.sh ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/compare_workloads)
set_tests_properties(e2e.compare_workloads PROPERTIES LABELS e2e TIMEOUT 60
                     PASS_REGULAR_EXPRESSION "compare workloads: PASS")
add_test(NAME e2e.compare_table COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/compare/table.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(e2e.compare_table PROPERTIES LABELS e2e TIMEOUT 60 PASS_REGULAR_EXPRESSION "compare table: PASS"
                     SKIP_REGULAR_EXPRESSION "compare table: SKIPPED")
add_test(NAME e2e.compare_selector
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/compare/selector.sh ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/compare_selector)
set_tests_properties(e2e.compare_selector PROPERTIES LABELS e2e TIMEOUT 60 PASS_REGULAR_EXPRESSION
                     "compare selector: PASS" SKIP_REGULAR_EXPRESSION "compare selector: SKIPPED")
