# `dca dev check 01` in a clone where the learner has worked exercise 01 (its skeleton replaced by
# a passing answer): the author check checks the skeleton as committed, so it neither says "the
# spec has no teeth" nor blames the exercise for the learner's edit.
# cmake -DDCA=... -DSRC=<clone with its build/dev> -P dev_check_worked_test.cmake
set(file "${SRC}/exercises/01_lost_update/message_passing.cpp")
configure_file("${SRC}/solutions/01_lost_update/message_passing.cpp" "${file}" COPYONLY)
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env DCA_SOURCE_DIR=${SRC} DCA_BUILD_DIR=${SRC}/build/dev
          "${DCA}" dev check 01
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
execute_process(COMMAND git -C "${SRC}" checkout --quiet -- exercises)
if(out MATCHES "no teeth" OR NOT rc EQUAL 0
   OR NOT out MATCHES "edited: checking the skeleton as committed"
   OR NOT out MATCHES "ok    the skeleton fails its spec")
  message(FATAL_ERROR "dev check on a worked checkout: expected the committed skeleton checked and "
                      "exit 0, got ${rc}:\n${out}${err}")
endif()
message(STATUS "${out}")
