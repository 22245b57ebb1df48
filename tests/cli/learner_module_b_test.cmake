# Module B for a learner, through the ./dca wrapper in a fresh clone: first on a machine that lacks
# one of its packages (a dpkg-query double says postgresql-15 is not installed), where naming a
# module-B exercise is one line saying what to run and `dca tour` still shows every exercise of the
# manifest; then with the packages there, where ./dca adds module B to the build by itself and
# `dca run` of its first exercise starts the clone's own servers and runs. Manifest-driven: the
# exercises whose block says `needs = services` are read from exercises/manifest.ini.
# cmake -DSOURCE=... -DWORK=... -P learner_module_b_test.cmake
cmake_policy(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND git clone --quiet "${SOURCE}" "${WORK}/src" RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot clone ${SOURCE}: ${err}")
endif()
set(src "${WORK}/src")
# build/dev inside the clone: the kit's layout, so ccache serves the objects.
unset(ENV{DCA_BUILD_DIR})
unset(ENV{DCA_SOURCE_DIR})
set(ENV{DCA_TIME_LIMIT_S} 300)

# The manifest's exercises, and those of module B.
file(STRINGS "${src}/exercises/manifest.ini" lines)
set(all "")
set(module_b "")
foreach(line IN LISTS lines)
  if(line MATCHES "^\\[([0-9][0-9]_[a-z0-9_]+)\\]$")
    set(id "${CMAKE_MATCH_1}")
    list(APPEND all "${id}")
  elseif(line MATCHES "^needs *= *services$")
    list(APPEND module_b "${id}")
  endif()
endforeach()
list(LENGTH module_b n)
if(n EQUAL 0)
  message(FATAL_ERROR "the manifest lists no exercise with needs = services")
endif()
list(GET module_b 0 first_b)
string(SUBSTRING "${first_b}" 0 2 first_b_number)

set(failures "")
function(expect what rc_expected regex rc out err)
  if(NOT rc MATCHES "^${rc_expected}$" OR NOT "${out}${err}" MATCHES "${regex}")
    set(failures "${failures}\n  ${what}: expected exit ${rc_expected} and /${regex}/, got ${rc}:\n${out}\n${err}" PARENT_SCOPE)
  else()
    message(STATUS "${what}: ok")
  endif()
endfunction()

# 1. postgresql-15 missing: module B stays out of the build, and dca says what to run.
file(MAKE_DIRECTORY "${WORK}/bin")
file(WRITE "${WORK}/bin/dpkg-query" "#!/bin/bash\n# Test double: postgresql-15 is not installed; every other package as dpkg-query says.\n/usr/bin/dpkg-query \"$@\" | while read -r line; do [ \"\${line%% *}\" = postgresql-15 ] && line='postgresql-15 deinstall ok config-files'; echo \"$line\"; done\n")
file(CHMOD "${WORK}/bin/dpkg-query" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
set(missing_path "${WORK}/bin:$ENV{PATH}")
execute_process(COMMAND ${CMAKE_COMMAND} -E env PATH=${missing_path} ./dca run ${first_b_number}
                WORKING_DIRECTORY "${src}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX REPLACE "^.*\n([^\n]+\n)$" "\\1" last_line "${err}")
expect("without postgresql-15, dca run ${first_b_number}" 2
  "^dca run: ${first_b} runs against PostgreSQL 15 and Redis 7: postgresql-15 is not installed: run scripts/bootstrap --services, then ./dca again[^\n]*\n$"
  "${rc}" "${out}" "${last_line}")
execute_process(COMMAND ${CMAKE_COMMAND} -E env PATH=${missing_path} ./dca tour --format json
                WORKING_DIRECTORY "${src}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
foreach(id IN LISTS all)
  if(id IN_LIST module_b)
    set(row "\"id\": \"${id}\"[^\n]*\"as_expected\": false, \"not_built\": \"postgresql-15 is not installed: run scripts/bootstrap --services")
  else()
    set(row "\"id\": \"${id}\"[^\n]*\"as_expected\": true, \"not_built\": \"\"")
  endif()
  expect("without postgresql-15, dca tour's row of ${id}" 0 "${row}" "${rc}" "${out}" "")
endforeach()

# 2. Everything installed: ./dca adds module B to the build, lists it, and runs it on demand.
execute_process(COMMAND ./dca list WORKING_DIRECTORY "${src}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
expect("with the packages, ./dca turns module B on" 0
  "adding the exercises that run against them to the build" "${rc}" "" "${err}")
foreach(id IN LISTS all)
  expect("with the packages, dca list shows ${id}" 0 " ${id} " "${rc}" "${out}" "")
endforeach()
execute_process(COMMAND ./dca run ${first_b_number} WORKING_DIRECTORY "${src}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
expect("with the packages, dca run ${first_b_number} starts the servers and runs" "[03]"
  "CORRUPTED: |The race is still there" "${rc}" "${out}" "${err}")
execute_process(COMMAND "${src}/scripts/services" destroy OUTPUT_QUIET ERROR_QUIET)

if(failures)
  message(FATAL_ERROR "learner module B:${failures}")
endif()
