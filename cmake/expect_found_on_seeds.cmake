# Runs PROGRAM's seeded random search (`explore --variant VARIANT --strategy random --seed S`) for
# seeds 1 to SEEDS and succeeds only if each one finds a schedule whose verdict matches EXPECT, and
# that schedule replays to the same verdict: a claim such as "found on each of ten seeds" checked
# on the exercise program itself (a skeleton's program, which no spec may require to fail a case).
foreach(required PROGRAM VARIANT SEEDS EXPECT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "expect_found_on_seeds.cmake: -D${required}=... is required")
  endif()
endforeach()

# The JSON report of `PROGRAM explore --variant VARIANT ARGS...` in `out`; fails on anything else.
function(explored out)
  execute_process(COMMAND ${PROGRAM} explore --variant ${VARIANT} ${ARGN} --format json
    OUTPUT_VARIABLE json ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 3) # the exercise programs exit 3 when the explorer found a failure
    message(FATAL_ERROR "explore ${ARGN}: exit ${rc}, expected 3 (a failure found):\n${json}${err}")
  endif()
  set(${out} "${json}" PARENT_SCOPE)
endfunction()

foreach(seed RANGE 1 ${SEEDS})
  explored(found --strategy random --seed ${seed})
  string(JSON verdict GET "${found}" verdict)
  string(JSON schedule GET "${found}" schedule)
  string(JSON schedules GET "${found}" schedules_explored)
  if(NOT verdict MATCHES "${EXPECT}")
    message(FATAL_ERROR "seed ${seed}: the verdict '${verdict}' does not match '${EXPECT}'")
  endif()
  explored(replayed --replay ${schedule})
  string(JSON again GET "${replayed}" verdict)
  if(NOT again STREQUAL verdict)
    message(FATAL_ERROR "seed ${seed}: --replay ${schedule} says '${again}', not '${verdict}'")
  endif()
  message(STATUS "seed ${seed}: found after ${schedules} schedule(s), replays: ${verdict}")
endforeach()
