# The judge's explorer against the in-process one: from each seed in SEEDS, `IN_PROCESS explore`
# (the learner's file linked in) and `JUDGE explore` (the same file in the subject SUBJECT) must
# end the same way, on the same schedule, with the same verdict and trace: the judge's scheduler
# decides every delivery, so the printed replay reproduces the learner's run either way; and that
# replay, run judged, breaks the same way again.
# cmake -DIN_PROCESS=... -DJUDGE=... -DSUBJECT=... "-DSEEDS=1;7" -P same_schedule_test.cmake
cmake_policy(VERSION 3.25)
set(failures "")
foreach(seed IN LISTS SEEDS)
  set(args explore --variant actors --strategy random --seed ${seed} --schedules 200 --format json)
  execute_process(COMMAND ${IN_PROCESS} ${args} RESULT_VARIABLE rc_in OUTPUT_VARIABLE in ERROR_VARIABLE err_in)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env "DCA_SUBJECT=${SUBJECT}" ${JUDGE} ${args}
                  RESULT_VARIABLE rc_judged OUTPUT_VARIABLE judged ERROR_VARIABLE err_judged)
  if(NOT rc_in EQUAL rc_judged)
    string(APPEND failures "\n  seed ${seed}: in process exit ${rc_in}, judged exit ${rc_judged}: ${err_judged}")
    continue()
  endif()
  foreach(field outcome schedule verdict breaking_step trace)
    string(JSON a ERROR_VARIABLE no_a GET "${in}" ${field})
    string(JSON b ERROR_VARIABLE no_b GET "${judged}" ${field})
    if(NOT "${a}" STREQUAL "${b}")
      string(APPEND failures "\n  seed ${seed}: ${field} differs: in process '${a}', judged '${b}'")
    endif()
  endforeach()
  string(JSON outcome GET "${in}" outcome)
  message(STATUS "seed ${seed}: exit ${rc_in}, ${outcome} in both")
  # The replay the judge prints reproduces its run, judged: same outcome, verdict and trace.
  string(JSON schedule GET "${judged}" schedule)
  if(NOT outcome STREQUAL "clean" AND NOT schedule STREQUAL "")
    execute_process(COMMAND ${CMAKE_COMMAND} -E env "DCA_SUBJECT=${SUBJECT}" ${JUDGE} explore
                            --variant actors --replay ${schedule} --format json
                    OUTPUT_VARIABLE replayed ERROR_VARIABLE err_replayed)
    foreach(field outcome verdict trace)
      string(JSON a ERROR_VARIABLE no_a GET "${judged}" ${field})
      string(JSON b ERROR_VARIABLE no_b GET "${replayed}" ${field})
      if(NOT "${a}" STREQUAL "${b}")
        string(APPEND failures "\n  seed ${seed}: the replay of ${schedule} differs in ${field}: '${b}' ${err_replayed}")
      endif()
    endforeach()
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "the judge's exploration is not the in-process one:${failures}")
endif()
