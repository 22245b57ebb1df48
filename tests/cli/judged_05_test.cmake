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
# Exercise 08 likewise (tests/judge/08_replica_lag: the learner's views and sessions in the subject
# behind stand-ins, each view's journal reads answered from the judge's journal): the reference
# passes judged; judge_forges_evidence_08 (every hex word of its memory as the nonce, "passed" lines
# to every FIFO, exit(0) before main in process; its sessions ask for no position) fails judged on
# the stale read the judge's explorer finds, and, graded once more --in-process, forges a pass.
# Exercise 06 in the same two runs (tests/judge/06_cache_aside: the learner's cache projection and
# readers in the subject, their Redis commands run on the judge's run space): the reference passes
# judged; judge_forges_evidence_06 (the same forgery, the skeleton's unguarded Lua script) fails
# judged on the judge's own store and load, and forges a pass --in-process.
# Exercise 07 in the same two runs too (tests/judge/07_dual_write: shipping and the relay in the
# subject behind stand-ins, on a run space and a journal the judge lends): judge_forges_evidence_07
# (the same forging; a relay that never stores its position, a ship() that ships every entry)
# fails judged on an order shipped twice, and --in-process forges a pass.
# cmake -DDCA=... -DSOURCE=... -DSUBMISSIONS=... -DWORK=... -P judged_05_test.cmake
cmake_policy(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT uid EQUAL 0)
  message(STATUS "skipped: the full sandbox needs root")
  return()
endif()
# Grades the references of the exercises IDS (folders, e.g. "06_cache_aside;08_replica_lag") and
# the hostile FORGER, in one run, judged, and checks each verdict against expect_correct and
# expect_FORGER_NN (else expect_FORGER). With a fourth argument, in_process: the forger alone,
# --in-process, checked against expect_FORGER_NN_in_process (else expect_FORGER_in_process). A
# FORGER that is not a folder of SUBMISSIONS is made in WORK from judge_forges_evidence_NN, one
# per exercise.
function(grade_judged ids forger)
  set(nns "")
  foreach(id IN LISTS ids)
    string(SUBSTRING "${id}" 0 2 nn)
    list(APPEND nns ${nn})
  endforeach()
  string(JOIN "_" tag ${nns})
  set(forger_dir "${SUBMISSIONS}/${forger}")
  if(NOT EXISTS "${forger_dir}")
    set(forger_dir "${WORK}/${tag}/${forger}")
    foreach(id IN LISTS ids)
      string(SUBSTRING "${id}" 0 2 nn)
      file(COPY "${SUBMISSIONS}/judge_forges_evidence_${nn}/exercises/${id}"
           DESTINATION "${forger_dir}/exercises")
    endforeach()
  endif()
  set(mode judged)
  set(graded "${WORK}/${tag}/correct" "${forger_dir}")
  set(mode_args "")
  if(ARGC GREATER 2)
    set(mode ${ARGV2})
    set(graded "${forger_dir}")
    set(mode_args --in-process)
  endif()
  set(exercise_args "")
  foreach(id IN LISTS ids)
    string(SUBSTRING "${id}" 0 2 nn)
    list(APPEND exercise_args --exercise ${nn})
    file(COPY "${SOURCE}/solutions/${id}/message_passing.cpp"
         DESTINATION "${WORK}/${tag}/correct/exercises/${id}")
  endforeach()
  string(TIMESTAMP started "%s")
  execute_process(COMMAND "${DCA}" grade ${graded} ${exercise_args} ${mode_args} --jobs 1
                          --rounds 1 --scratch "${WORK}/${tag}/scratch-${mode}"
                          --format json --out "${WORK}/${tag}/grades-${mode}.json"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(TIMESTAMP finished "%s")
  math(EXPR seconds "${finished} - ${started}")
  message(STATUS "${tag} graded ${mode} in ${seconds} s")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dca grade exited ${rc}:\n${out}${err}")
  endif()
  file(READ "${WORK}/${tag}/grades-${mode}.json" json)
  check_verdicts("${json}" "${nns}" "${mode}" "${graded}")
endfunction()

# Checks the report JSON of one grade_judged run: its header names each of NNS as graded MODE, and
# each submission's verdict on each exercise is the one expected.
function(check_verdicts json nns mode graded)
  set(failures "")
  set(evidence "judged \\([^\"]*\\)")
  set(calibrated "judged")
  set(suffix "")
  if(mode STREQUAL "in_process")
    set(evidence "in process by --in-process \\([^\"]*\\)")
    set(calibrated "in process")
    set(suffix "_in_process")
  endif()
  string(JOIN ", " listed ${nns})
  if(NOT json MATCHES "evidence: ${evidence}: ${listed}\"")
    string(APPEND failures "\n  the report's header does not say ${listed} graded ${mode}")
  endif()
  foreach(nn IN LISTS nns)
    if(NOT json MATCHES "calibration: ${nn}'s reference solution runs ${calibrated} in [0-9.]+ s here[^\"]*run limit")
      string(APPEND failures "\n  the run limit was not calibrated on a ${mode} run of ${nn}")
    endif()
  endforeach()
  list(LENGTH graded expected_count)
  string(JSON count LENGTH "${json}" submissions)
  if(NOT count EQUAL expected_count)
    string(APPEND failures "\n  ${count} submissions graded, not ${expected_count}")
  endif()
  math(EXPR last "${count} - 1")
  list(LENGTH nns exercises)
  math(EXPR last_exercise "${exercises} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" submissions ${i} submission)
    foreach(j RANGE ${last_exercise})
      string(JSON id GET "${json}" submissions ${i} exercises ${j} id)
      string(JSON verdict GET "${json}" submissions ${i} exercises ${j} verdict)
      string(JSON text GET "${json}" submissions ${i} exercises ${j} message)
      string(SUBSTRING "${id}" 0 2 nn)
      set(expect "${expect_${name}${suffix}}")
      if(DEFINED expect_${name}_${nn}${suffix})
        set(expect "${expect_${name}_${nn}${suffix}}")
      endif()
      list(GET expect 0 want)
      list(GET expect 1 words)
      if(NOT verdict STREQUAL want OR NOT text MATCHES "${words}")
        string(APPEND failures "\n  ${name} ${id}: expected ${want} /${words}/, got ${verdict}: ${text}")
      else()
        message(STATUS "${name} ${id}: ${verdict}: ${text}")
      endif()
    endforeach()
  endforeach()
  if(failures)
    message(FATAL_ERROR "grading ${listed} ${mode}:${failures}")
  endif()
endfunction()

set(expect_correct "pass;^every check passes under 1 seed")
set(expect_judge_forges_evidence_05 "fail;^the submission's actors exited with status 0")
grade_judged(05_shared_database judge_forges_evidence_05)
set(expect_judge_forges_evidence_13 "fail;^the submission's actors exited with status 0")
grade_judged(13_serverless_state judge_forges_evidence_13)
# 12: the learner's saga steps in the subject, each statement relayed to the judge's own connection;
# the forger exits 0 before the spec, or in credit where it finds no environment.
set(expect_judge_forges_evidence_12 "fail;^the submission's actors exited with status 0")
grade_judged(12_cross_service_transfer judge_forges_evidence_12)
# 06, 07 and 08 in one run (one calibration pass, one build of each submission). 08: the views and
# sessions in the subject, each view's journal reads answered from the judge's journal; the
# forger's sessions ask for no position and read their profile older than their own write on the
# judge's explored schedules. 06: the cache projection and readers in the subject, their Redis
# commands run on the judge's run space; the forger's script has no seq guard, so the spec's own
# store and load find an older price over a newer one. 07: shipping and the relay in the subject;
# the forger's relay never stores its position and its ship() ships every entry, so an order ships
# twice on the judge's explored schedules. In process, each forger's static
# constructor forges every case.
set(forger judge_forges_evidence_06_to_08)
set(expect_${forger}_08 "fail;1 read older than its own write")
set(expect_${forger}_06 "fail;an older price \\(100, seq 1\\) overwrote a newer one \\(120, seq 2\\)")
set(expect_${forger}_07 "fail;the consumer shipped order o1 2 times|orders shipped twice")
set(expect_${forger}_in_process "pass;^every check passes")
set(ids "06_cache_aside;07_dual_write;08_replica_lag")
grade_judged("${ids}" ${forger})
grade_judged("${ids}" ${forger} in_process)
