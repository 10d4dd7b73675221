# The CLI face of the option table (tools/cli/option_flags.cpp): a gtest executable that builds the flags on a
# small CLI::App and checks --help, flag-over-YAML precedence, bare booleans and error messages. The tools/cli
# sources form the attend executable only, so the one source under test is compiled in here.
if(TARGET attend_cli)
  find_package(CLI11 REQUIRED)
  add_executable(attend_option_flags_test ${CMAKE_CURRENT_LIST_DIR}/config_cli/option_flags_test.cpp
                                          ${PROJECT_SOURCE_DIR}/tools/cli/option_flags.cpp)
  target_include_directories(attend_option_flags_test PRIVATE ${PROJECT_SOURCE_DIR}/tools/cli
                                                              ${PROJECT_SOURCE_DIR}/tests/support)
  target_link_libraries(attend_option_flags_test PRIVATE attend::attend CLI11::CLI11 GTest::gtest_main GTest::gmock)
  target_compile_definitions(attend_option_flags_test PRIVATE ATTEND_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  attend_set_warnings(attend_option_flags_test)
  gtest_discover_tests(attend_option_flags_test TEST_PREFIX e2e.config_cli. PROPERTIES LABELS e2e
                       DISCOVERY_TIMEOUT 120)
endif()

# The real binary: `attend train` builds its flags from the table, reports config mistakes as one line with exit 1
# (before any data is read), and lets a flag override the file.
if(TARGET attend_cli AND EXISTS ${PROJECT_SOURCE_DIR}/tools/cli/train_command.cpp)
  set(config_dir ${CMAKE_CURRENT_BINARY_DIR}/config_cli)
  file(WRITE ${config_dir}/typo.yaml "model:\n  cell: gru\n  hiden: 64\n")
  file(WRITE ${config_dir}/bad_cell.yaml "model:\n  cell: gur\n")

  # attend_config_cli_test(name code regex args...)
  function(attend_config_cli_test name code regex)
    list(JOIN ARGN "|" joined)
    add_test(NAME e2e.config_cli.${name}
             COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attend_cli> "-DARGS=train|${joined}"
                     -DEXPECT_CODE=${code} "-DEXPECT_REGEX=${regex}" -P ${CMAKE_CURRENT_LIST_DIR}/parity/expect_exit.cmake)
    set_tests_properties(e2e.config_cli.${name} PROPERTIES LABELS e2e TIMEOUT 60)
  endfunction()

  attend_config_cli_test(help 0 "model options:.*--model.hidden INT +[^\n]*\\(default: 128\\).*train options:" --help)
  attend_config_cli_test(unknown_key 1 "typo.yaml:3: unknown key 'hiden' in section 'model'; did you mean 'hidden'\\?"
                         --config ${config_dir}/typo.yaml)
  attend_config_cli_test(bad_flag_value 1 "--model.hidden: option model.hidden: expected an integer, got '12x'"
                         --model.hidden 12x)
  attend_config_cli_test(bad_enum 1 "model.cell must be one of gru, lstm, rnn_tanh, rnn_relu; got 'gur'"
                         --config ${config_dir}/bad_cell.yaml --data.train x.tsv)
  # The flag fixes the file's bad cell, so validation gets past it and stops at the missing corpus instead.
  attend_config_cli_test(flag_overrides_file 1 "no training corpus"
                         --config ${config_dir}/bad_cell.yaml --model.cell lstm)
endif()
