# Grades the hostile submissions (tests/cli/hostile) on the default path (01-04 judged), with a
# fixed --time-limit (the override of the calibrated run limits): a fork bomb, a disk filler, the
# sandbox_* ones: /tmp and cwd filled, /tmp filled silently then a hang (a full disk, not a timeout), forked
# children over the slot's memory, a compile over the (calibrated)
# compile limit, an #include of /etc/passwd; three judge_* ones graded with --judge, that forge the
# evidence from the subject process and read the judge through /proc (01), and forge it in
# process then act wrong in the subject (02, 03, 04), the last one's 02 graded --in-process too,
# where its forged evidence still passes (the old hole, open only when asked for); the forgers of
# judge_forges_evidence_09_to_14 (09, 11, 14) judged beside the reference solutions, then --in-process; plus four made here: a
# message_passing.cpp that is a symlink to a root-only file, one in a symlinked folder, a root-only
# message_passing.cpp and one in a root-only folder: the learner's files are read by the slot's
# unprivileged user, so all four are rejected and none of their text is quoted) and
# checks that each gets its verdict, within bounded time, leaving nothing on the host and no
# secret in any report. cmake -DDCA=... -DSUBMISSIONS=... -DWORK=... -P hostile_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT uid EQUAL 0)
  message(STATUS "skipped: the full sandbox needs root")
  return()
endif()

# A root-only secret, and submissions that reach for it through symlinks.
set(secret "${WORK}/secret.txt")
file(WRITE "${secret}" "DCA-ROOT-ONLY-SECRET-4417\n")
file(CHMOD "${secret}" PERMISSIONS OWNER_READ OWNER_WRITE)
file(MAKE_DIRECTORY "${WORK}/sandbox_symlink_file/exercises/01_lost_update")
file(CREATE_LINK "${secret}" "${WORK}/sandbox_symlink_file/exercises/01_lost_update/message_passing.cpp"
     SYMBOLIC)
file(MAKE_DIRECTORY "${WORK}/elsewhere/01_lost_update" "${WORK}/sandbox_symlink_dir/exercises")
file(CREATE_LINK "${secret}" "${WORK}/elsewhere/01_lost_update/message_passing.cpp" SYMBOLIC)
file(CREATE_LINK "${WORK}/elsewhere/01_lost_update" "${WORK}/sandbox_symlink_dir/exercises/01_lost_update"
     SYMBOLIC)

foreach(folder sandbox_root_only_file sandbox_root_only_folder)
  file(MAKE_DIRECTORY "${WORK}/${folder}/exercises/01_lost_update")
  file(COPY_FILE "${secret}" "${WORK}/${folder}/exercises/01_lost_update/message_passing.cpp")
endforeach()
file(CHMOD "${WORK}/sandbox_root_only_file/exercises/01_lost_update/message_passing.cpp"
     PERMISSIONS OWNER_READ OWNER_WRITE)
file(CHMOD "${WORK}/sandbox_root_only_folder/exercises/01_lost_update/message_passing.cpp"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(CHMOD "${WORK}/sandbox_root_only_folder/exercises/01_lost_update"
     PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)

file(GLOB leftovers_before "/tmp/dca-hostile-fill-*" "/tmp/dca-hostile-hang-*")
# 400 s: judged, a spawn function or handler has a quarter of the run's limit (100 s) before the
# judge gives up on it, and sandbox_fork_memory's children must fill the slot's 2 GiB within that
# time. Here, at load 16-19, one process took 22 s to touch 1 GiB (a plain mmap and memset), the
# three children reached the limit after about 70 s, and at 30, 80 and 160 s (handlers of 7, 20
# and 40 s) the verdict was timeout, not resource_limit. (sandbox_tmp_fill_then_hang waits 100 s.)
string(TIMESTAMP started "%s")
execute_process(
  COMMAND "${DCA}" grade "${SUBMISSIONS}/fork_bomb" "${SUBMISSIONS}/disk_fill"
          "${SUBMISSIONS}/sandbox_tmp_fill" "${SUBMISSIONS}/sandbox_tmp_fill_then_hang"
          "${SUBMISSIONS}/sandbox_fork_memory"
          "${SUBMISSIONS}/sandbox_slow_compile" "${SUBMISSIONS}/sandbox_include_passwd"
          "${WORK}/sandbox_symlink_file" "${WORK}/sandbox_symlink_dir"
          "${WORK}/sandbox_root_only_file" "${WORK}/sandbox_root_only_folder"
          --exercise 01 --jobs 2 --rounds 1 --time-limit 400 --compile-limit 5 --scratch "${WORK}/scratch"
          --format json --out "${WORK}/grades.json" --also "junit=${WORK}/grades.xml"
          --also "table=${WORK}/grades.txt"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(TIMESTAMP finished "%s")
math(EXPR seconds "${finished} - ${started}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dca grade exited ${rc}:\n${out}${err}")
endif()
# The judge's own hostile submissions, graded with --judge (the learner's actors in a subject):
# two of 01, and one of 02, 03 and 04 that forges the evidence in process and is judged on what
# its actors do.
execute_process(
  COMMAND "${DCA}" grade "${SUBMISSIONS}/judge_forged_evidence" "${SUBMISSIONS}/judge_reads_the_judge"
          "${SUBMISSIONS}/judge_forges_evidence_02_to_04"
          --exercise 01 --exercise 02 --exercise 03 --exercise 04 --judge --jobs 2 --rounds 1
          --time-limit 30 --scratch "${WORK}/scratch-judged"
          --format json --out "${WORK}/grades-judged.json"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dca grade --judge exited ${rc}:\n${out}${err}")
endif()
# The old hole, reachable only with --in-process: the same submission's 02 forges every case.
execute_process(
  COMMAND "${DCA}" grade "${SUBMISSIONS}/judge_forges_evidence_02_to_04" --exercise 02 --in-process
          --rounds 1 --time-limit 30 --scratch "${WORK}/scratch-in-process"
          --format json --out "${WORK}/grades-in-process.json"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dca grade --in-process exited ${rc}:\n${out}${err}")
endif()
# 09-14 judged (tests/judge/NN_*): each forger in judge_forges_evidence_09_to_14 forges the
# evidence in process and, judged, is failed on what its actors do; the reference solutions,
# copied in as a learner's checkout, pass beside it. Then the forgers once more --in-process, where
# the forgery still works (the old hole).
get_filename_component(source_dir "${SUBMISSIONS}/../../.." ABSOLUTE)
set(judged_09_to_14 09_at_least_once 11_last_writer_wins 14_split_brain)
set(judged_09_to_14_args --exercise 09 --exercise 11 --exercise 14)
foreach(id IN LISTS judged_09_to_14)
  file(COPY "${source_dir}/solutions/${id}/message_passing.cpp"
       DESTINATION "${WORK}/reference_09_to_14/exercises/${id}")
endforeach()
foreach(mode judged in_process)
  set(mode_args "")
  set(graded "${SUBMISSIONS}/judge_forges_evidence_09_to_14")
  if(mode STREQUAL "in_process")
    set(mode_args --in-process)
  else()
    list(APPEND graded "${WORK}/reference_09_to_14")
  endif()
  execute_process(
    COMMAND "${DCA}" grade ${graded} ${judged_09_to_14_args} ${mode_args} --jobs 2 --rounds 1
            --scratch "${WORK}/scratch-09-to-14-${mode}"
            --format json --out "${WORK}/grades-09-to-14-${mode}.json"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dca grade (09-14, ${mode}) exited ${rc}:\n${out}${err}")
  endif()
endforeach()

# The expected verdict and a regex over its message, by submission.
set(expect_fork_bomb "resource_limit;processes")
set(expect_disk_fill "resource_limit;file larger")
set(expect_sandbox_tmp_fill "resource_limit;^disk full: filled its scratch space")
set(expect_sandbox_tmp_fill_then_hang "resource_limit;^disk full: filled its scratch space")
set(expect_sandbox_fork_memory "resource_limit;out of memory")
set(expect_sandbox_slow_compile "timeout;^compile timeout")
set(expect_sandbox_include_passwd "compile_error;does not compile")
# The judge (exercise 01 is judged: tests/judge) holds no learner code: forged evidence has
# nowhere to go, and the judge's own checks fail the skeleton's counter underneath.
set(expect_judge_forged_evidence_01 "fail;^the submission's actors exited with status 0")
set(expect_judge_reads_the_judge_01 "fail;(the count is 0|increments)")
# 02-04, judged: no nonce and no channel in the subject, so each is failed on its actors' words.
set(expect_judge_forges_evidence_02_to_04_02 "fail;^paid 0 of the [0-9]+ requested")
set(expect_judge_forges_evidence_02_to_04_03 "fail;A is 100 and B is 100, expected 70 and 130")
set(expect_judge_forges_evidence_02_to_04_04 "fail;it replied before it took the money off")
# Graded --in-process, the same 02 forges every case and passes (flagged only for its global).
set(expect_judge_forges_evidence_02_to_04_02_in_process "flagged;^passes, but shares state")
# 09-14, judged: the forgers are failed on the harness's own words; the references pass.
set(expect_reference_09_to_14 "pass;^every check passes")
set(expect_judge_forges_evidence_09_to_14_09 "fail;^the submission's actors exited with status 0")
set(expect_judge_forges_evidence_09_to_14_14 "fail;dual-owner appends")
# --in-process, the same forgers forge a pass (14's: 10/10, not even flagged).
set(expect_judge_forges_evidence_09_to_14_14_in_process "pass;^every check passes")
set(expect_judge_forges_evidence_09_to_14_11
    "fail;(added through c and acknowledged, is not in the converged cart|acknowledged adds)")
set(expect_judge_forges_evidence_09_to_14_11_in_process "pass;^every check passes")
set(expect_judge_forges_evidence_09_to_14_09_in_process "flagged;^passes, but")
set(expect_sandbox_symlink_file "rejected;not a regular file: .*message_passing.cpp is a symlink")
set(expect_sandbox_symlink_dir "rejected;not a regular file: exercises/01_lost_update is a symlink")
set(expect_sandbox_root_only_file
    "rejected;may not read exercises/01_lost_update/message_passing.cpp: .*readable by everyone")
set(expect_sandbox_root_only_folder "rejected;may not read exercises/01_lost_update: ")

# Checks every graded exercise of the grades file FILE against expect_<submission>_<NN> (or
# expect_<submission> when the submission names one exercise), and that FILE holds SUBMISSIONS
# submissions and EXERCISES graded exercises (an exercise a submission leaves out is "missing" and
# not counted); appends what differs to failures. An optional fourth argument is a suffix of the
# expect_ names that this file's verdicts are checked against first (_in_process).
function(check_grades file submissions exercises)
  set(suffix "${ARGN}")
  file(READ "${file}" json)
  string(JSON graded LENGTH "${json}" submissions)
  if(NOT graded EQUAL submissions)
    set(failures "${failures}\n  ${file}: ${graded} submissions graded, not ${submissions}")
  endif()
  set(graded_exercises 0)
  math(EXPR last "${graded} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" submissions ${i} submission)
    string(JSON count LENGTH "${json}" submissions ${i} exercises)
    math(EXPR last_exercise "${count} - 1")
    foreach(j RANGE ${last_exercise})
      string(JSON id GET "${json}" submissions ${i} exercises ${j} id)
      string(JSON verdict GET "${json}" submissions ${i} exercises ${j} verdict)
      string(JSON message GET "${json}" submissions ${i} exercises ${j} message)
      if(verdict STREQUAL "missing")
        continue()
      endif()
      math(EXPR graded_exercises "${graded_exercises} + 1")
      message(STATUS "${name} ${id}: ${verdict}: ${message}")
      string(SUBSTRING "${id}" 0 2 nn)
      set(expect expect_${name})
      if(DEFINED expect_${name}_${nn}${suffix})
        set(expect expect_${name}_${nn}${suffix})
      elseif(DEFINED expect_${name}_${nn})
        set(expect expect_${name}_${nn})
      endif()
      list(GET ${expect} 0 want)
      list(GET ${expect} 1 words)
      if(NOT (verdict STREQUAL want AND message MATCHES "${words}"))
        set(failures "${failures}\n  ${name} ${id}: expected ${want} (${words}), got ${verdict}: ${message}")
      endif()
    endforeach()
  endforeach()
  if(NOT graded_exercises EQUAL exercises)
    set(failures "${failures}\n  ${file}: ${graded_exercises} exercises graded, not ${exercises}")
  endif()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

set(failures "")
check_grades("${WORK}/grades-judged.json" 3 5)
check_grades("${WORK}/grades.json" 11 11)
file(READ "${WORK}/grades.json" json)
if(NOT json MATCHES "evidence: judged \\([^\"]*\\): 01\"")
  set(failures "${failures}\n  the report does not say that 01 was judged (the default)")
endif()
if(NOT json MATCHES "run limit: 400 s per spec run and exploration \\(--time-limit: fixed")
  set(failures "${failures}\n  the report does not say that --time-limit fixed the run limit")
endif()
check_grades("${WORK}/grades-in-process.json" 1 1 _in_process)
list(LENGTH judged_09_to_14 judged_09_to_14_count)
math(EXPR judged_09_to_14_both "2 * ${judged_09_to_14_count}")
check_grades("${WORK}/grades-09-to-14-judged.json" 2 ${judged_09_to_14_both})
check_grades("${WORK}/grades-09-to-14-in_process.json" 1 ${judged_09_to_14_count} _in_process)
file(READ "${WORK}/grades-09-to-14-judged.json" judged_09_to_14_json)
if(NOT judged_09_to_14_json MATCHES "evidence: judged \\([^\"]*\\): 09, 11, 14\"")
  set(failures "${failures}\n  the 09-14 report does not say that 09, 11 and 14 were judged")
endif()
file(READ "${WORK}/grades-in-process.json" in_process_json)
string(JSON in_process_points GET "${in_process_json}" submissions 0 exercises 0 points)
if(NOT in_process_json MATCHES "evidence: in process by --in-process \\([^\"]*\\): 02\""
   OR NOT in_process_points EQUAL 10)
  set(failures "${failures}\n  --in-process: the header does not name 02 or the forged 10/10 is gone (${in_process_points})")
endif()
file(READ "${WORK}/grades-judged.json" judged_json)
if(NOT judged_json MATCHES "evidence: judged \\([^\"]*\\): 01, 02, 03, 04\"")
  set(failures "${failures}\n  the judged report does not say that 01-04 were judged")
endif()
if(NOT json MATCHES "calibration: the reference solution compiles in [0-9.]+ s here")
  set(failures "${failures}\n  the report's header does not give the compile calibration")
endif()
if(EXISTS "${WORK}/scratch/disk_fill/01_lost_update/run/fill.bin")
  set(failures "${failures}\n  the disk filler's file reached the real disk")
endif()
file(GLOB leftovers_after "/tmp/dca-hostile-fill-*" "/tmp/dca-hostile-hang-*")
if(NOT leftovers_after STREQUAL leftovers_before)
  set(failures "${failures}\n  the /tmp filler left files in the host's /tmp: ${leftovers_after}")
endif()
file(GLOB_RECURSE on_disk "${WORK}/scratch/*dca-hostile-fill-*")
if(on_disk)
  set(failures "${failures}\n  the /tmp filler's files reached the real disk: ${on_disk}")
endif()
foreach(report grades.json grades.xml grades.txt)
  file(READ "${WORK}/${report}" text)
  if(text MATCHES "DCA-ROOT-ONLY-SECRET")
    set(failures "${failures}\n  ${report} contains the root-only secret")
  endif()
  if(text MATCHES "root:x:0:0")
    set(failures "${failures}\n  ${report} quotes /etc/passwd from a compile error")
  endif()
endforeach()
if(seconds GREATER 600)
  set(failures "${failures}\n  grading took ${seconds} s")
endif()
if(failures)
  message(FATAL_ERROR "hostile submissions were not contained:${failures}\n${err}")
endif()
message(STATUS "all 13 hostile submissions contained in ${seconds} s")
