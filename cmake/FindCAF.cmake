# Finds the C++ Actor Framework 0.17 (Debian's libcaf-dev ships no CMake config).
# Provides CAF::core and CAF::io, and CAF_VERSION (e.g. 1706).
# Set CAF_ROOT to use another build, e.g. the ThreadSanitizer build from scripts/build-caf-tsan:
# then headers and libraries come from CAF_ROOT only (never /usr), static libraries preferred,
# because headers and library must match.

# Results cached for one CAF_ROOT are stale for another: search again when it changes.
if(NOT "${CAF_ROOT}" STREQUAL "${_CAF_ROOT_SEARCHED}")
  unset(CAF_INCLUDE_DIR CACHE)
  unset(CAF_BUILD_CONFIG_DIR CACHE)
  unset(CAF_CORE_LIBRARY CACHE)
  unset(CAF_IO_LIBRARY CACHE)
  set(_CAF_ROOT_SEARCHED "${CAF_ROOT}" CACHE INTERNAL "CAF_ROOT the CAF_* results were found for")
endif()

if(CAF_ROOT)
  set(_caf_where PATHS "${CAF_ROOT}/include" NO_DEFAULT_PATH)
  set(_caf_lib_where PATHS "${CAF_ROOT}/lib" "${CAF_ROOT}/lib64" NO_DEFAULT_PATH)
else()
  set(_caf_where "")
  set(_caf_lib_where "")
endif()
find_path(CAF_INCLUDE_DIR caf/config.hpp ${_caf_where})
find_library(CAF_CORE_LIBRARY NAMES caf_core_static caf_core ${_caf_lib_where})
find_library(CAF_IO_LIBRARY NAMES caf_io_static caf_io ${_caf_lib_where})

if(CAF_INCLUDE_DIR)
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" caf_version_line REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" CAF_VERSION "${caf_version_line}")
  # A CAF build tree keeps the generated build_config.hpp beside its sources: pick it up too.
  if(CAF_ROOT)
    find_path(CAF_BUILD_CONFIG_DIR caf/detail/build_config.hpp
      PATHS "${CAF_INCLUDE_DIR}" "${CAF_ROOT}/include" NO_DEFAULT_PATH)
  else()
    find_path(CAF_BUILD_CONFIG_DIR caf/detail/build_config.hpp HINTS "${CAF_INCLUDE_DIR}")
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_BUILD_CONFIG_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY
  VERSION_VAR CAF_VERSION)

if(CAF_FOUND AND NOT TARGET CAF::core)
  find_package(Threads REQUIRED)
  set(_caf_includes "${CAF_INCLUDE_DIR}")
  if(NOT CAF_BUILD_CONFIG_DIR STREQUAL CAF_INCLUDE_DIR)
    list(APPEND _caf_includes "${CAF_BUILD_CONFIG_DIR}")
  endif()
  # Static archives carry no dependency list. On Linux CAF 0.17.6 links only threads
  # (CAF_EXTRA_LDFLAGS); ws2_32/iphlpapi/psapi are its Windows-only extras.
  set(_caf_core_deps Threads::Threads)
  if(WIN32)
    list(APPEND _caf_core_deps ws2_32 iphlpapi psapi)
  endif()
  add_library(CAF::core UNKNOWN IMPORTED)
  # Imported include directories are SYSTEM (-isystem): searched after -I but before the
  # compiler's own /usr/include, so CAF_INCLUDE_DIR wins over /usr/include/caf.
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${_caf_includes}"
    INTERFACE_LINK_LIBRARIES "${_caf_core_deps}")
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
endif()
mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_BUILD_CONFIG_DIR)
