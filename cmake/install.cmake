# `cmake --install` for an outside project: the dca::es headers (and dca/assert.hpp, which they
# use), the library, and a package config, so that
#   find_package(dca REQUIRED)   # with CMAKE_PREFIX_PATH set to the install prefix
#   target_link_libraries(app PRIVATE dca::es)
# works. The config finds dca::es's own dependencies (CAF 0.17 with the FindCAF.cmake installed
# beside it, SQLite3, Threads). The test that installs into a temporary prefix and builds a small
# project against it is tests/install/ (label "install").
include(CMakePackageConfigHelpers)

set(DCA_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/dca")

install(TARGETS dca_es EXPORT dcaTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/runtime/include/dca/es"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/dca")
install(FILES "${PROJECT_SOURCE_DIR}/runtime/include/dca/assert.hpp"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/dca")
install(EXPORT dcaTargets NAMESPACE dca:: DESTINATION "${DCA_INSTALL_CMAKEDIR}")

configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/dcaConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/dcaConfig.cmake" INSTALL_DESTINATION "${DCA_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/dcaConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/dcaConfig.cmake" "${PROJECT_BINARY_DIR}/dcaConfigVersion.cmake"
              "${CMAKE_CURRENT_LIST_DIR}/FindCAF.cmake"
  DESTINATION "${DCA_INSTALL_CMAKEDIR}")
