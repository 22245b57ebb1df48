# Runs PROGRAM and succeeds only if it fails and its output matches EXPECT: a spec that passes on
# an untouched skeleton, or fails for another reason, is a toothless spec.
execute_process(COMMAND ${PROGRAM} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} passed, but the untouched skeleton must fail its spec:\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "${PROGRAM} failed, but not for the intended reason (expected output matching '${EXPECT}'):\n${out}${err}")
endif()
message(STATUS "the skeleton fails its spec as intended (exit ${rc}, output matches '${EXPECT}')")
