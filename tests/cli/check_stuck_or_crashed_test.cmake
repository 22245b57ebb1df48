# `dca check 01` in the journey's clone with a handler that never returns and with one that
# segfaults: the check names the line of message_passing.cpp (the spec's stack report), and after
# the timeout recommends no command that would wait the same way.
# cmake -DDCA=... -DSRC=<clone with its build/dev> -DJOURNEY=<tests/cli/journey> -P ...
set(file "${SRC}/exercises/01_lost_update/message_passing.cpp")
set(failures "")
function(check_with attempt regex forbidden)
  configure_file("${JOURNEY}/${attempt}" "${file}" COPYONLY)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env DCA_SOURCE_DIR=${SRC} DCA_BUILD_DIR=${SRC}/build/dev
            DCA_TIME_LIMIT_S=10 "${DCA}" check 01
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 400)
  if(NOT rc EQUAL 1 OR NOT out MATCHES "${regex}" OR out MATCHES "${forbidden}")
    set(failures "${failures}\n  ${attempt}: expected exit 1 and /${regex}/ (and not /${forbidden}/), got ${rc}:\n${out}${err}" PARENT_SCOPE)
  else()
    message(STATUS "${attempt}: ok\n${out}")
  endif()
endfunction()
check_with(01_spins_forever.cpp
  "FAIL 01_lost_update: timed out after 10 s: your code at message_passing.cpp:1[67] \\(in spawn_counter\\) was still running"
  "dca-stack|dca-frame|`dca run") # after a timeout, no command that would wait the same way
check_with(01_segfaults.cpp
  "FAIL 01_lost_update: the spec crashed with SIGSEGV \\(Segmentation fault\\) at message_passing.cpp:(19|20) \\(in spawn_counter\\)"
  "dca-stack|dca-frame")
execute_process(COMMAND git -C "${SRC}" checkout --quiet -- exercises)
if(failures)
  message(FATAL_ERROR "dca check on a stuck or crashing handler:${failures}")
endif()
