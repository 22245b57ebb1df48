# Finds the libraries dca builds on. All come from Debian packages (scripts/bootstrap).
find_package(Threads REQUIRED)
if(DCA_TSAN)
  # ThreadSanitizer cannot see synchronisation inside an uninstrumented CAF: use the instrumented
  # build that scripts/build-caf-tsan leaves in the cache, so every report is a real race.
  # FindCAF then takes headers and static libraries from CAF_ROOT only, never /usr.
  if(NOT CAF_ROOT)
    set(CAF_ROOT "$ENV{HOME}/.cache/dca/caf-0.17.6-tsan")
  endif()
  if(NOT EXISTS "${CAF_ROOT}/lib/libcaf_core_static.a" OR NOT EXISTS "${CAF_ROOT}/include/caf/config.hpp")
    message(FATAL_ERROR "DCA_TSAN needs CAF built with ThreadSanitizer in ${CAF_ROOT}: run scripts/build-caf-tsan first")
  endif()
endif()
include(sanitizers)
find_package(CAF 0.17.6 REQUIRED)
if(DCA_TSAN)
  dca_check_caf_headers_self_contained()
endif()
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(SQLite3 REQUIRED)
find_package(doctest 2.4 REQUIRED)
include(doctest)
