# A batch with one bad path (a folder with no exercises) grades the others, exits 0, and reports
# the bad one as "no exercises found" in every format.
# cmake -DDCA=... -DSUBMISSIONS=<tests/cli/submissions> -DWORK=... -P bad_path_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(
  COMMAND "${DCA}" grade "${SUBMISSIONS}/correct" "${SUBMISSIONS}" --exercise 01 --rounds 1
          --scratch "${WORK}/scratch" --format json --out "${WORK}/grades.json"
          --also "table=${WORK}/grades.txt" --also "csv=${WORK}/grades.csv"
          --also "junit=${WORK}/grades.xml"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dca grade exited ${rc}, expected 0:\n${out}${err}")
endif()
file(READ "${WORK}/grades.json" json)
string(JSON good GET "${json}" submissions 0 exercises 0 verdict)
string(JSON bad GET "${json}" submissions 1 exercises 0 verdict)
string(JSON why GET "${json}" submissions 1 exercises 0 message)
if(NOT good STREQUAL "pass" OR NOT bad STREQUAL "no_exercises" OR NOT why MATCHES "no exercises found")
  message(FATAL_ERROR "expected pass and no_exercises, got ${good} and ${bad}: ${why}")
endif()
foreach(f grades.txt grades.csv grades.xml)
  file(READ "${WORK}/${f}" text)
  if(NOT text MATCHES "no_exercises")
    message(FATAL_ERROR "${f} does not report the bad path:\n${text}")
  endif()
endforeach()
message(STATUS "the good submission passed, the bad path was reported: ${why}")
