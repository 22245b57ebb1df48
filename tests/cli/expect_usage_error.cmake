# Runs dca with ARGS (a ;-list) and passes if it exits non-zero with exactly one line on stderr
# matching EXPECT, and nothing on stdout: bad input gets a one-line error.
# cmake -DDCA=... "-DARGS=grade;/nope" -DEXPECT=regex -P expect_usage_error.cmake
execute_process(COMMAND "${DCA}" ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "\n" newlines "${err}")
list(LENGTH newlines lines)
if(rc EQUAL 0 OR NOT lines EQUAL 1 OR NOT err MATCHES "${EXPECT}" OR NOT out STREQUAL "")
  message(FATAL_ERROR "dca ${ARGS}: expected a non-zero exit and one line matching '${EXPECT}', "
                      "got exit ${rc}, ${lines} line(s):\n${err}\nstdout:\n${out}")
endif()
message(STATUS "exit ${rc}: ${err}")
