# The attend binary runs libgomp with a spin count of 30000 unless the environment chooses a policy
# (tools/cli/wait_policy.cpp). OMP_DISPLAY_ENV=verbose makes libgomp print what it initialised with (libgomp's own
# default is 300000; passive is 0, active 30000000000).
if(TARGET attend_cli)
  function(attend_wait_policy_test name env regex)
    add_test(NAME e2e.${name} COMMAND ${CMAKE_COMMAND} -E env --unset=OMP_WAIT_POLICY --unset=GOMP_SPINCOUNT
                                      OMP_DISPLAY_ENV=verbose ${env} $<TARGET_FILE:attend_cli> --version)
    set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 30 PASS_REGULAR_EXPRESSION "${regex}")
  endfunction()
  attend_wait_policy_test(wait_policy_bounded_spin_by_default "" "GOMP_SPINCOUNT = '30000'.*attend ")
  attend_wait_policy_test(wait_policy_environment_wins OMP_WAIT_POLICY=active "GOMP_SPINCOUNT = '30000000000'")
  attend_wait_policy_test(wait_policy_spincount_wins GOMP_SPINCOUNT=5 "GOMP_SPINCOUNT = '5'")
endif()
