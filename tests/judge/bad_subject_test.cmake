# Runs one case of exercise 01's judge with a misbehaving subject and checks it ends with status 4
# and exactly the expected verdict line on stderr (and no other "dca judge" line).
# cmake -DJUDGE=... -DSUBJECT=... -DEXPECT=<regex> -P bad_subject_test.cmake
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env "DCA_SUBJECT=${SUBJECT}" DCA_SUBJECT_TIMEOUT_MS=1000
          "${JUDGE}" "-tc=the counter actor counts every increment of two workers"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 20)
string(REGEX MATCHALL "dca judge [^\n]*" lines "${err}")
list(LENGTH lines count)
if(NOT rc EQUAL 4 OR NOT count EQUAL 1 OR NOT lines MATCHES "${EXPECT}")
  message(FATAL_ERROR "expected status 4 and one line matching /${EXPECT}/, got status ${rc}:\n${err}")
endif()
message(STATUS "${lines}")
