# The dca wrapper on a machine where cmake is not on PATH: one line saying so and what to do, not
# bash's "cmake: command not found" in the middle of a configure log.
# cmake -DSOURCE=... -DWORK=... -P wrapper_without_cmake_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/bin")
# Every tool the wrapper and scripts/bootstrap use, but not cmake.
foreach(tool bash env realpath mkdir dirname dpkg-query grep id mktemp rm cat)
  find_program(path_${tool} ${tool} REQUIRED)
  file(CREATE_LINK "${path_${tool}}" "${WORK}/bin/${tool}" SYMBOLIC)
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E env PATH=${WORK}/bin DCA_BUILD_DIR=${WORK}/build
                        "${SOURCE}/dca" --version
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "\n" newlines "${err}")
list(LENGTH newlines lines)
if(rc EQUAL 0 OR NOT lines EQUAL 1 OR NOT err MATCHES "^dca: cmake is not on PATH: install it")
  message(FATAL_ERROR "expected one line about cmake and a non-zero exit, got ${rc}:\n${out}${err}")
endif()
message(STATUS "${err}")
