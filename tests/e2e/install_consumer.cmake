# e2e: the installed package works for a user. Installs this build into a temporary prefix, checks the installed tree
# (headers, libattend, bin/attend, the CMake package), runs the installed `attend --version`, then configures, builds
# and runs tests/consumer against the prefix (find_package(attend) through CMAKE_PREFIX_PATH).
#
# tests/e2e/CMakeLists.txt includes this file to register the test; ctest runs the same file as a script (cmake -P).
if(NOT CMAKE_SCRIPT_MODE_FILE)
  set(attend_consumer_flags "")
  if(ATTEND_SANITIZE)  # an instrumented libattend needs the sanitizer runtimes in the consumer too
    set(attend_consumer_flags "-fsanitize=address,undefined")
  endif()
  add_test(NAME e2e.install_consumer
           COMMAND ${CMAKE_COMMAND}
                   -DATTEND_BUILD_DIR=${PROJECT_BINARY_DIR}
                   -DCONSUMER_SOURCE_DIR=${PROJECT_SOURCE_DIR}/tests/consumer
                   -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/install_consumer
                   -DINSTALL_LIBDIR=${CMAKE_INSTALL_LIBDIR}
                   -DINSTALL_BINDIR=${CMAKE_INSTALL_BINDIR}
                   -DINSTALL_INCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR}
                   -DATTEND_VERSION=${PROJECT_VERSION}
                   -DGENERATOR=${CMAKE_GENERATOR}
                   -DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
                   -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
                   "-DCXX_FLAGS=${attend_consumer_flags}"
                   -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(e2e.install_consumer PROPERTIES LABELS e2e TIMEOUT 600)
else()
  # Runs a command; on failure stops with its output.
  function(run_step what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "install_consumer: ${what} failed (exit ${rc}):\n${ARGN}\n${out}")
    endif()
    message(STATUS "install_consumer: ${what}: ok")
    set(step_output "${out}" PARENT_SCOPE)
  endfunction()

  set(prefix ${WORK_DIR}/prefix)
  set(consumer_build ${WORK_DIR}/consumer-build)
  file(REMOVE_RECURSE ${WORK_DIR})
  file(MAKE_DIRECTORY ${WORK_DIR})

  run_step("cmake --install" ${CMAKE_COMMAND} --install ${ATTEND_BUILD_DIR} --prefix ${prefix})

  foreach(installed IN ITEMS ${INSTALL_INCLUDEDIR}/attend/tensor/tensor.hpp
                             ${INSTALL_INCLUDEDIR}/attend/autograd/var.hpp
                             ${INSTALL_LIBDIR}/libattend.so
                             ${INSTALL_BINDIR}/attend
                             ${INSTALL_LIBDIR}/cmake/attend/attendConfig.cmake
                             ${INSTALL_LIBDIR}/cmake/attend/attendConfigVersion.cmake
                             ${INSTALL_LIBDIR}/cmake/attend/attendTargets.cmake)
    if(NOT EXISTS ${prefix}/${installed})
      message(FATAL_ERROR "install_consumer: ${installed} is missing from the installed tree ${prefix}")
    endif()
  endforeach()

  # The installed binary must find its libattend and the OpenMP OpenBLAS on its own (RUNPATH), not through the build.
  run_step("installed attend --version" ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${prefix}/${INSTALL_BINDIR}/attend
           --version)
  if(NOT step_output MATCHES "attend ${ATTEND_VERSION}")
    message(FATAL_ERROR "install_consumer: `attend --version` printed '${step_output}', expected 'attend ${ATTEND_VERSION}'")
  endif()

  run_step("configure the consumer" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${consumer_build} -G ${GENERATOR}
           -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
           "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" -DCMAKE_PREFIX_PATH=${prefix})
  file(STRINGS ${consumer_build}/CMakeCache.txt attend_dir_line REGEX "^attend_DIR:")
  if(NOT attend_dir_line MATCHES "=${prefix}/")
    message(FATAL_ERROR "install_consumer: the consumer found attend elsewhere (${attend_dir_line}), not in ${prefix}")
  endif()
  run_step("build the consumer" ${CMAKE_COMMAND} --build ${consumer_build})
  run_step("run the consumer" ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${consumer_build}/attend_consumer)
  message(STATUS "install_consumer: ${step_output}")
endif()
