# `dca dev check --layout` on a temporary copy of the exercise tree (never the real one): the copy
# as it is passes; a stray file, a missing file, an exercise whose manifest block states no invariant
# or an unlisted exercise folder each make it fail with one clear line naming what is wrong.
# cmake -DDCA=... -DSOURCE=... -DBUILD=... -DWORK=... -P dev_check_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/tests")
file(COPY "${SOURCE}/exercises" "${SOURCE}/solutions" DESTINATION "${WORK}")
file(COPY "${SOURCE}/tests/exercises" DESTINATION "${WORK}/tests")

set(failures "")
function(dev_check expect_rc regex what)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env DCA_SOURCE_DIR=${WORK} DCA_BUILD_DIR=${BUILD}
            "${DCA}" dev check --layout
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc OR NOT out MATCHES "${regex}")
    set(failures "${failures}\n  ${what}: expected exit ${expect_rc} and /${regex}/, got ${rc}:\n${out}${err}" PARENT_SCOPE)
  else()
    message(STATUS "${what}: ok")
  endif()
endfunction()

dev_check(0 "dev check: every exercise is in shape" "the untouched copy")

file(WRITE "${WORK}/exercises/01_lost_update/notes.txt" "my notes\n")
dev_check(1 "\n  FAIL  no stray files in exercises/01_lost_update/: stray: notes.txt"
  "a stray file in an exercise folder")
file(REMOVE "${WORK}/exercises/01_lost_update/notes.txt")

file(REMOVE "${WORK}/solutions/02_check_then_act/NOTES.md")
dev_check(1 "\n  FAIL  solutions/02_check_then_act/NOTES.md exists\n" "a missing solution NOTES.md")
file(WRITE "${WORK}/solutions/02_check_then_act/NOTES.md" "notes\n")

file(REMOVE "${WORK}/exercises/03_torn_invariant/scenario.hpp")
dev_check(1 "\n  FAIL  exercises/03_torn_invariant/scenario.hpp exists\n" "a missing scenario.hpp")
file(WRITE "${WORK}/exercises/03_torn_invariant/scenario.hpp" "\n")

file(READ "${WORK}/exercises/manifest.ini" manifest)
string(REGEX REPLACE "\n\\[04_deadlock\\]\ninvariant = [^\n]*" "\n[04_deadlock]" no_invariant
       "${manifest}")
file(WRITE "${WORK}/exercises/manifest.ini" "${no_invariant}")
dev_check(1 "\n  FAIL  the manifest states its invariant: no `invariant =` line in its \\[04_deadlock\\] block\n"
  "an exercise without its invariant")
file(WRITE "${WORK}/exercises/manifest.ini" "${manifest}")

file(MAKE_DIRECTORY "${WORK}/exercises/05_unlisted")
dev_check(1 "\n  FAIL  every exercise folder is listed in exercises/manifest.ini: not listed: 05_unlisted"
  "an exercise folder the manifest does not list")

if(failures)
  message(FATAL_ERROR "dev check on a copy of the tree:${failures}")
endif()
