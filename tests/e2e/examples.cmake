# Every example runs and succeeds (each checks its own results and exits non-zero when one is wrong).
foreach(example attention_tour)
  if(TARGET example_${example})
    add_test(NAME e2e.example_${example} COMMAND example_${example})
    set_tests_properties(e2e.example_${example} PROPERTIES LABELS e2e PASS_REGULAR_EXPRESSION "\nok\n")
  endif()
endforeach()
