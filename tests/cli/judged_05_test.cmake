# Grades exercise 05 on the default path, judged (tests/judge/05_shared_database: the judge hosts
# the entities and their journal, the learner's decide and apply answer in a subject process): the
# reference solution, as a learner's checkout, passes; the hostile judge_forges_evidence_05 (fake
# "passed" lines on its descriptors, exit(0) from a static constructor in a process with an
# environment, _Exit(0) in decide) fails on the judge's own line; the report's header says 05 was
# judged and its run limit was calibrated on a judged run. One job: with two, the two submissions'
# shared-state explorations (instructor code, the same judged or not) ran against PostgreSQL at
# once, and once here (load about 15) the reference's "ten explorations in a row" missed the
# oversell on its 8th.
# cmake -DDCA=... -DSOURCE=... -DSUBMISSIONS=... -DWORK=... -P judged_05_test.cmake
cmake_policy(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT uid EQUAL 0)
  message(STATUS "skipped: the full sandbox needs root")
  return()
endif()
# Each of the two submissions in the report ${json} got the verdict and message expect_NAME says;
# what did not goes to ${failures}.
macro(check_verdicts)
  string(JSON count LENGTH "${json}" submissions)
  if(NOT count EQUAL 2)
    string(APPEND failures "\n  ${count} submissions graded, not 2")
  endif()
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" submissions ${i} submission)
    string(JSON verdict GET "${json}" submissions ${i} exercises 0 verdict)
    string(JSON text GET "${json}" submissions ${i} exercises 0 message)
    list(GET expect_${name} 0 want)
    list(GET expect_${name} 1 words)
    if(NOT verdict STREQUAL want OR NOT text MATCHES "${words}")
      string(APPEND failures "\n  ${name}: expected ${want} /${words}/, got ${verdict}: ${text}")
    else()
      message(STATUS "${name}: ${verdict}: ${text}")
    endif()
  endforeach()
endmacro()

# Grades the reference of exercise NN (folder ID) in ${WORK}/CORRECT beside the hostile FORGER,
# judged, into ${json}; checks the header says NN was judged.
macro(grade_judged nn id correct forger)
  file(COPY "${SOURCE}/solutions/${id}/message_passing.cpp"
       DESTINATION "${WORK}/${correct}/exercises/${id}")
  string(TIMESTAMP started "%s")
  execute_process(COMMAND "${DCA}" grade "${WORK}/${correct}" "${SUBMISSIONS}/${forger}"
                          --exercise ${nn} --jobs 1 --rounds 1 --scratch "${WORK}/scratch${nn}"
                          --format json --out "${WORK}/grades${nn}.json"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(TIMESTAMP finished "%s")
  math(EXPR seconds "${finished} - ${started}")
  message(STATUS "${nn} graded in ${seconds} s")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dca grade of ${nn} exited ${rc}:\n${out}${err}")
  endif()
  file(READ "${WORK}/grades${nn}.json" json)
  set(failures "")
  if(NOT json MATCHES "evidence: judged \\([^\"]*\\): ${nn}\"")
    string(APPEND failures "\n  the report's header does not say ${nn} was judged")
  endif()
endmacro()

grade_judged(05 05_shared_database correct judge_forges_evidence_05)
if(NOT json MATCHES "calibration: 05's reference solution runs judged in [0-9.]+ s here[^\"]*run limit")
  string(APPEND failures "\n  the run limit was not calibrated on a judged run of 05")
endif()
set(expect_correct "pass;^every check passes under 1 seed")
set(expect_judge_forges_evidence_05 "fail;^the submission's actors exited with status 0")
check_verdicts()
if(failures)
  message(FATAL_ERROR "grading 05 judged:${failures}\n${err}")
endif()

# Exercise 12 judged (tests/judge/12_cross_service_transfer: the learner's saga steps in the
# subject, each statement relayed to the judge's own connection): the reference passes, and
# judge_forges_evidence_12 (nonces from its memory, passed lines to every FIFO, exit(0) before
# the spec; _Exit(0) in credit where it finds no environment) fails on the judge's own line.
grade_judged(12 12_cross_service_transfer correct12 judge_forges_evidence_12)
set(expect_correct12 "pass;^every check passes under 1 seed")
set(expect_judge_forges_evidence_12 "fail;^the submission's actors exited with status 0")
check_verdicts()
if(failures)
  message(FATAL_ERROR "grading 12 judged:${failures}\n${err}")
endif()
