# The learner's loop in a fresh clone of the kit (DCA_SOURCE_DIR points at it, so the real tree is
# never touched): list and its progress bar, hints, the solution locked until passing, reset with
# a backup, progress kept in .dca/progress, and `dca` alone entering the watch loop and quitting
# on q. cmake -DDCA=... -DSOURCE=... -DWORK=... -P learner_loop_test.cmake
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND git clone --quiet "${SOURCE}" "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot clone ${SOURCE}: ${err}")
endif()
set(ENV{DCA_SOURCE_DIR} "${WORK}")
set(ENV{DCA_PRISTINE_REF} "HEAD")
set(failures "")

function(run expect_rc regex)
  execute_process(COMMAND "${DCA}" ${ARGN} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err INPUT_FILE "${WORK}/.keys")
  if(NOT rc EQUAL expect_rc OR NOT "${out}${err}" MATCHES "${regex}")
    set(failures "${failures}\n  dca ${ARGN}: expected exit ${expect_rc} and /${regex}/, got ${rc}:\n${out}${err}" PARENT_SCOPE)
  else()
    message(STATUS "dca ${ARGN}: ok")
  endif()
endfunction()

file(WRITE "${WORK}/.keys" "")
run(0 "next +01_lost_update.*\\[\\.+\\] 0 of [0-9]+ done" list)
run(0 "hint 1 of [0-9]+:.*hint 2 of" hint 01 --level 2)
run(2 "--level must be between 1 and" hint 01 --level 99)
run(1 "not yet: the solution opens once `dca check 01` passes" solution 01)
run(0 "Solution for comparison.*self->state.count \\+= 1" solution 01 --give-up)

# Progress: a pass recorded by `dca check` (written here directly) unlocks the solution.
file(WRITE "${WORK}/.dca/progress" "01_lost_update\n")
run(0 "done +01_lost_update.*\\] 1 of [0-9]+ done" list)
run(0 "Solution for comparison" solution 01)

# Reset: the learner's version is backed up, the skeleton restored, the progress forgotten.
set(file "${WORK}/exercises/01_lost_update/message_passing.cpp")
file(READ "${file}" pristine)
file(APPEND "${file}" "// my attempt\n")
run(0 "Your version is saved as .dca/backups/01_lost_update/message_passing\\..*Restored" reset 01)
file(READ "${file}" after)
if(NOT after STREQUAL pristine)
  set(failures "${failures}\n  reset did not restore the pristine skeleton")
endif()
file(GLOB backups "${WORK}/.dca/backups/01_lost_update/*.cpp")
list(LENGTH backups n)
if(NOT n EQUAL 1)
  set(failures "${failures}\n  expected one backup, found ${n}")
endif()
# A pass recorded for a file that is the skeleton again (restored by hand) is forgotten on reset.
file(WRITE "${WORK}/.dca/progress" "01_lost_update\n")
run(0 "already the pristine skeleton.*progress is reset" reset 01)
run(0 "next +01_lost_update" list)

# A checkout dca cannot write in (.dca blocked by a file): one line naming the path and the fix,
# not std::filesystem's message; the learner's file is left as it was.
file(RENAME "${WORK}/.dca" "${WORK}/.dca-aside")
file(WRITE "${WORK}/.dca" "not a folder\n")
file(APPEND "${file}" "// my attempt\n")
run(1 "^dca reset: cannot use [^\n]*/\\.dca/backups/01_lost_update: [^\n]*\\(something that is not a folder is in the way: move it aside\\)\n$" reset 01)
file(READ "${file}" kept)
if(NOT kept MATCHES "// my attempt\n$")
  set(failures "${failures}\n  reset without a writable .dca lost the learner's file")
endif()
file(REMOVE "${WORK}/.dca")
file(RENAME "${WORK}/.dca-aside" "${WORK}/.dca")
file(WRITE "${file}" "${pristine}")

# `dca` alone: the watch loop checks the current exercise, tells the failure in words, and quits
# on q. (It builds with the real build tree, so it checks the kit's own skeleton.)
file(WRITE "${WORK}/.keys" "q")
run(0 "== 01_lost_update.*checking 01_lost_update.*FAIL 01_lost_update: .*Bye" )

# A regression: 01 was passed, its check now fails, so it is no longer done.
file(WRITE "${WORK}/.dca/progress" "01_lost_update\n")
run(1 "FAIL 01_lost_update" check 01)
run(0 "next +01_lost_update.*\\] 0 of [0-9]+ done" list)
file(READ "${WORK}/.dca/current" current)
if(NOT current MATCHES "01_lost_update")
  set(failures "${failures}\n  .dca/current should name 01_lost_update, has: ${current}")
endif()

if(failures)
  message(FATAL_ERROR "the learner's loop misbehaved:${failures}")
endif()
