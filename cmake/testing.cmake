# dca_add_test(NAME SOURCES ... [LIBRARIES ...] [LABELS ...] [PREFIX p]) registers a doctest binary
# and one CTest per test case (named PREFIX + the case's name), so ctest -R can pick single cases.
function(dca_add_test name)
  cmake_parse_arguments(arg "" "PREFIX" "SOURCES;LIBRARIES;LABELS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE dca::test_main ${arg_LIBRARIES} dca::warnings)
  if(NOT arg_PREFIX)
    set(arg_PREFIX "")
  endif()
  doctest_discover_tests(${name} TEST_PREFIX "${arg_PREFIX}" PROPERTIES LABELS "${arg_LABELS}")
endfunction()
