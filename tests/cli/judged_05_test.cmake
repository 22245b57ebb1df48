# Grades exercise 05 on the default path, judged (tests/judge/05_shared_database: the judge hosts
# the entities and their journal, the learner's decide and apply answer in a subject process): the
# reference solution, as a learner's checkout, passes; the hostile judge_forges_evidence_05 (fake
# "passed" lines on its descriptors, exit(0) from a static constructor in a process with an
# environment, _Exit(0) in decide) fails on the judge's own line; the report's header says 05 was
# judged and its run limit was calibrated on a judged run. One job: with two, the two submissions'
# shared-state explorations (instructor code, the same judged or not) ran against PostgreSQL at
# once, and once here (load about 15) the reference's "ten explorations in a row" missed the
# oversell on its 8th.
# Exercise 13 likewise (tests/judge/13_serverless_state: the learner's invocation actors in the
# subject behind stand-ins, the entity host, journal and state in the judge): the reference passes
# judged; judge_forges_evidence_13 (the nonce from its environment and memory, "passed" lines to
# every FIFO it has, exit(0) before main in process; judged, no idempotency key and _Exit(0) in
# decide once sold out) fails on the judge's own line.
# cmake -DDCA=... -DSOURCE=... -DSUBMISSIONS=... -DWORK=... -P judged_05_test.cmake
cmake_policy(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT uid EQUAL 0)
  message(STATUS "skipped: the full sandbox needs root")
  return()
endif()
# Grades the reference of exercise NN (folder ID) and the hostile FORGER, judged, and checks each
# verdict against expect_correct and expect_FORGER.
function(grade_judged nn id forger)
  file(COPY "${SOURCE}/solutions/${id}/message_passing.cpp"
       DESTINATION "${WORK}/${nn}/correct/exercises/${id}")
  string(TIMESTAMP started "%s")
  execute_process(COMMAND "${DCA}" grade "${WORK}/${nn}/correct" "${SUBMISSIONS}/${forger}"
                          --exercise ${nn} --jobs 1 --rounds 1 --scratch "${WORK}/${nn}/scratch"
                          --format json --out "${WORK}/${nn}/grades.json"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(TIMESTAMP finished "%s")
  math(EXPR seconds "${finished} - ${started}")
  message(STATUS "${nn} graded in ${seconds} s")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dca grade exited ${rc}:\n${out}${err}")
  endif()
  file(READ "${WORK}/${nn}/grades.json" json)

  set(failures "")
  if(NOT json MATCHES "evidence: judged \\([^\"]*\\): ${nn}\"")
    string(APPEND failures "\n  the report's header does not say ${nn} was judged")
  endif()
  if(NOT json MATCHES "calibration: ${nn}'s reference solution runs judged in [0-9.]+ s here[^\"]*run limit")
    string(APPEND failures "\n  the run limit was not calibrated on a judged run of ${nn}")
  endif()
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
  if(failures)
    message(FATAL_ERROR "grading ${nn} judged:${failures}\n${err}")
  endif()
endfunction()

set(expect_correct "pass;^every check passes under 1 seed")
set(expect_judge_forges_evidence_05 "fail;^the submission's actors exited with status 0")
grade_judged(05 05_shared_database judge_forges_evidence_05)
set(expect_judge_forges_evidence_13 "fail;^the submission's actors exited with status 0")
grade_judged(13 13_serverless_state judge_forges_evidence_13)
# 12: the learner's saga steps in the subject, each statement relayed to the judge's own connection;
# the forger exits 0 before the spec, or in credit where it finds no environment.
set(expect_judge_forges_evidence_12 "fail;^the submission's actors exited with status 0")
grade_judged(12 12_cross_service_transfer judge_forges_evidence_12)
