# `dca run` and `dca explore` never wait silently: with the learner-journey files (tests/cli/journey)
# a handler that never returns is stopped at the time limit (DCA_TIME_LIMIT_S, short here) with a
# line naming the learner's line; at a terminal it shows that it is still running; and a lost update
# that a free run cannot show in time ("get, then set value+1") is told by the explorer.
# (The line a stack report names is the optimised code's: a loop's body or its `while`.)
# cmake -DDCA=... -DJOURNEY=<tests/cli/journey> -P stuck_run_test.cmake
set(failures "")
function(expect_dca expect_rc regex)
  string(TIMESTAMP began "%s")
  execute_process(COMMAND ${CMAKE_COMMAND} -E env DCA_TIME_LIMIT_S=8 "${DCA}" ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 900)
  string(TIMESTAMP ended "%s")
  math(EXPR took "${ended} - ${began}")
  if(NOT rc EQUAL expect_rc OR NOT "${out}${err}" MATCHES "${regex}")
    set(failures "${failures}\n  dca ${ARGN}: expected exit ${expect_rc} and /${regex}/, got ${rc} after ${took} s:\n${out}${err}" PARENT_SCOPE)
  else()
    message(STATUS "dca ${ARGN}: ok (${took} s)\n${out}${err}")
  endif()
endfunction()

set(spin "${JOURNEY}/01_spins_forever.cpp")
expect_dca(1 "stopped dca run 01 --submission [^ ]+ --variant actors after 8 s: your code at 01_spins_forever.cpp:1[67] \\(in spawn_counter\\) was still running"
  run 01 --submission "${spin}" --variant actors)
expect_dca(1 "stopped dca explore 01 --submission [^ ]+ --variant actors after 8 s: your code at 01_spins_forever.cpp:1[67] \\(in spawn_counter\\)"
  explore 01 --submission "${spin}" --variant actors)
expect_dca(1 "your code at 04_credit_spins_forever.cpp:(29|30) \\(in spawn_account\\) was still running"
  run 04 --submission "${JOURNEY}/04_credit_spins_forever.cpp" --variant actors)
expect_dca(1 "The explorer finds it in [0-9,]+ schedules? \\(the count is [0-9]+, expected 6: [0-9]+ increments lost\\): dca explore 01 --submission [^ ]+ --variant actors --replay [0-9.]+"
  run 01 --submission "${JOURNEY}/01_get_then_set.cpp" --variant actors)

# A crash: one line naming the learner's line, not the shell's "Segmentation fault".
expect_dca(1 "^dca: dca run 01 --submission [^ ]+ --variant actors crashed \\(SIGSEGV, Segmentation fault\\) at 01_segfaults.cpp:(19|20) \\(in spawn_counter\\)[^\n]*\n$"
  run 01 --submission "${JOURNEY}/01_segfaults.cpp" --variant actors)

# At a terminal (script gives it one), the wait shows: "still running ... s of at most 8 s".
find_program(SCRIPT script)
if(SCRIPT)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env DCA_TIME_LIMIT_S=8
                  "${SCRIPT}" -qec "'${DCA}' run 01 --submission '${spin}' --variant actors" /dev/null
                  OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 900)
  if(NOT out MATCHES "still running dca run 01 [^\n]*: [0-9]+ s of at most 8 s \\(Ctrl-C stops it\\)")
    set(failures "${failures}\n  at a terminal, no progress line:\n${out}${err}")
  endif()
endif()

if(failures)
  message(FATAL_ERROR "dca run/explore waited or told the wrong story:${failures}")
endif()
