# `cmake --install` gives the headers, libattend, the attend binary and a CMake package:
#   find_package(attend REQUIRED)  target_link_libraries(app PRIVATE attend::attend)
include(CMakePackageConfigHelpers)
install(TARGETS attend EXPORT attendTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/attend DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(ATTEND_BUILD_TOOLS)
  install(TARGETS attend_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT attendTargets NAMESPACE attend:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/attend)
configure_package_config_file(cmake/attendConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/attendConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/attend)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/attendConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/attendConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/attendConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/attend)
