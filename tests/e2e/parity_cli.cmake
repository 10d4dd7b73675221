# e2e: `attend parity` on good and malformed inputs; checks exit codes (0 pass, 1 mismatch, 2 unreadable or
# unsupported, 2 wins over 1) and the messages. The bad fixtures are derived from a golden one at test time by a
# small C++ helper (no Python at test time).
if(TARGET attend_cli AND EXISTS ${PROJECT_SOURCE_DIR}/tests/golden/linear_bias_2d.safetensors)
  add_executable(attend_parity_bad_fixtures ${CMAKE_CURRENT_LIST_DIR}/parity/make_bad_fixtures.cpp)
  target_link_libraries(attend_parity_bad_fixtures PRIVATE attend::attend)
  attend_set_warnings(attend_parity_bad_fixtures)

  set(parity_good ${PROJECT_SOURCE_DIR}/tests/golden/linear_bias_2d.safetensors)
  set(parity_dir ${CMAKE_CURRENT_BINARY_DIR}/parity_bad)
  add_test(NAME e2e.parity.make_bad_fixtures
           COMMAND $<TARGET_FILE:attend_parity_bad_fixtures> ${parity_good} ${parity_dir})
  set_tests_properties(e2e.parity.make_bad_fixtures PROPERTIES LABELS e2e FIXTURES_SETUP parity_bad)

  # attend_parity_cli_test(name code regex args...)
  function(attend_parity_cli_test name code regex)
    list(JOIN ARGN "|" joined)
    add_test(NAME e2e.parity.${name}
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attend_cli> "-DARGS=parity|${joined}"
                     -DEXPECT_CODE=${code} "-DEXPECT_REGEX=${regex}" -P ${CMAKE_CURRENT_LIST_DIR}/parity/expect_exit.cmake)
    set_tests_properties(e2e.parity.${name} PROPERTIES LABELS e2e FIXTURES_REQUIRED parity_bad TIMEOUT 60)
  endfunction()

  attend_parity_cli_test(good 0 "output.output +max_abs [^\n]+ PASS.*1 passed, 0 failed, 0 errors" ${parity_good})
  attend_parity_cli_test(nonexistent 2 "does_not_exist.safetensors: ERROR \\(unreadable\\)"
                         ${parity_dir}/does_not_exist.safetensors)
  attend_parity_cli_test(text_file 2 "not_safetensors.txt: ERROR \\(unreadable\\)" ${parity_dir}/not_safetensors.txt)
  attend_parity_cli_test(no_format 2 "no_format.safetensors: ERROR \\(not_a_fixture\\)"
                         ${parity_dir}/no_format.safetensors)
  attend_parity_cli_test(unknown_module 2 "ERROR \\(unsupported\\): unknown module \"torch.nn.NoSuchModule\""
                         ${parity_dir}/unknown_module.safetensors)
  attend_parity_cli_test(missing_tensor 2 "ERROR \\(missing_tensor\\): missing tensor 'param.bias'"
                         ${parity_dir}/missing_tensor.safetensors)
  attend_parity_cli_test(perturbed 1 "output.output +max_abs 5.0+e-01 [^\n]+ FAIL.*0 passed, 1 failed"
                         ${parity_dir}/perturbed.safetensors)
  attend_parity_cli_test(error_wins_over_mismatch 2 "1 passed, 1 failed, 1 errors"
                         ${parity_good} ${parity_dir}/perturbed.safetensors ${parity_dir}/no_format.safetensors)

  add_test(NAME e2e.parity.json_report
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attend_cli>
                   "-DARGS=parity|--json|${parity_dir}/report.json|${parity_good}|${parity_dir}/perturbed.safetensors"
                   -DEXPECT_CODE=1 -DCHECK_FILE=${parity_dir}/report.json
                   "-DCHECK_FILE_REGEX=\"exit_code\": 1.*\"failed\": 1"
                   -P ${CMAKE_CURRENT_LIST_DIR}/parity/expect_exit.cmake)
  set_tests_properties(e2e.parity.json_report PROPERTIES LABELS e2e FIXTURES_REQUIRED parity_bad TIMEOUT 60)
endif()
