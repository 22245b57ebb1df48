# Finds the C++ Actor Framework 0.17 (Debian's libcaf-dev ships no CMake config).
# Provides CAF::core and CAF::io, and CAF_VERSION (e.g. 1706).
# Set CAF_ROOT to use another build, e.g. the ThreadSanitizer build from scripts/build-caf-tsan.

find_path(CAF_INCLUDE_DIR caf/config.hpp HINTS ${CAF_ROOT}/include)
find_library(CAF_CORE_LIBRARY NAMES caf_core_static caf_core HINTS ${CAF_ROOT}/lib)
find_library(CAF_IO_LIBRARY NAMES caf_io_static caf_io HINTS ${CAF_ROOT}/lib)

if(CAF_INCLUDE_DIR)
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" caf_version_line REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" CAF_VERSION "${caf_version_line}")
  # A CAF build tree keeps the generated build_config.hpp beside its sources: pick it up too.
  find_path(CAF_BUILD_CONFIG_DIR caf/detail/build_config.hpp HINTS ${CAF_ROOT}/include ${CAF_INCLUDE_DIR})
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY
  VERSION_VAR CAF_VERSION)

if(CAF_FOUND AND NOT TARGET CAF::core)
  find_package(Threads REQUIRED)
  add_library(CAF::core UNKNOWN IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR};${CAF_BUILD_CONFIG_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
endif()
mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_BUILD_CONFIG_DIR)
