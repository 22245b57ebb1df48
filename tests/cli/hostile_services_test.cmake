# Grading module B: two slots at once (--jobs 2), each with its own PostgreSQL role and databases
# and its own Redis server. A correct 05 and 06 (the reference solutions, as a learner's checkout)
# pass, so a slot's corner of the servers is enough to run the real specs; the hostile submission
# (tests/cli/hostile_services/reaches_for_other_data) tries the superuser, every database another
# role owns, rights it was not given, the instructor's Redis, its slot's Redis without the
# password (NOAUTH) or with it taken off, and Redis files, and every attempt is refused: the
# report shows each refusal, and the instructor's canary database row and Redis key, made before
# grading, are still there after it.
# cmake -DDCA=... -DSOURCE=... -DSUBMISSIONS=... -DWORK=... -P hostile_services_test.cmake
cmake_policy(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT uid EQUAL 0)
  message(STATUS "skipped: slots of their own (a uid each) need root")
  return()
endif()

# The instructor's canaries, in the checkout's servers.
execute_process(COMMAND "${SOURCE}/scripts/services" start RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scripts/services start: ${err}")
endif()
execute_process(COMMAND "${SOURCE}/scripts/services" env OUTPUT_VARIABLE env)
string(REGEX MATCH "DCA_PG_PRIMARY='host=([^ ']+)" _ "${env}")
set(pg_host "${CMAKE_MATCH_1}")
string(REGEX MATCH "DCA_REDIS_SOCKET='([^']+)'" _ "${env}")
set(redis_socket "${CMAKE_MATCH_1}")
set(psql /usr/lib/postgresql/15/bin/psql -h "${pg_host}" -U postgres -XAtq -v ON_ERROR_STOP=1)
execute_process(COMMAND ${psql} -d postgres -c "DROP DATABASE IF EXISTS dca_canary_instructor WITH (FORCE)"
                        -c "CREATE DATABASE dca_canary_instructor" RESULT_VARIABLE rc ERROR_VARIABLE err)
execute_process(COMMAND ${psql} -d dca_canary_instructor
                        -c "CREATE TABLE canary (word text); INSERT INTO canary VALUES ('intact')"
                RESULT_VARIABLE rc2 ERROR_VARIABLE err2)
execute_process(COMMAND redis-cli -s "${redis_socket}" SET dca_canary intact OUTPUT_VARIABLE set_reply)
if(NOT rc EQUAL 0 OR NOT rc2 EQUAL 0 OR NOT set_reply MATCHES "OK")
  message(FATAL_ERROR "cannot make the canaries: ${err}${err2}${set_reply}")
endif()

# A learner's checkout with the reference 05 and 06, and the hostile submission. In process
# (--in-process): judged, 05's learner code runs in a subject with no environment and no
# descriptor but the judge's socket, so the attacks would have nothing to start from; in process
# they run with everything a spec of module B has, which is what this test is about (06 is
# graded that way by default).
foreach(id 05_shared_database 06_cache_aside)
  file(COPY "${SOURCE}/solutions/${id}/message_passing.cpp" DESTINATION "${WORK}/correct/exercises/${id}")
endforeach()
execute_process(COMMAND "${DCA}" grade "${WORK}/correct" "${SUBMISSIONS}/reaches_for_other_data"
                        --exercise 05 --exercise 06 --in-process --jobs 2 --rounds 1 --format json
                        --out "${WORK}/report.json"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ "${WORK}/report.json" report)

set(failures "")
macro(require what regex text)
  if(NOT "${text}" MATCHES "${regex}")
    string(APPEND failures "\n  ${what}: expected /${regex}/")
  else()
    message(STATUS "${what}: ok")
  endif()
endmacro()
require("the grader names each slot's own servers" "each slot its own PostgreSQL role and databases" "${report}")
string(JSON submissions GET "${report}" submissions)
foreach(i 0 1)
  string(JSON name GET "${submissions}" ${i} submission)
  string(JSON exercises GET "${submissions}" ${i} exercises)
  string(JSON n LENGTH "${exercises}")
  math(EXPR last "${n} - 1")
  foreach(j RANGE ${last})
    string(JSON id GET "${exercises}" ${j} id)
    string(JSON verdict GET "${exercises}" ${j} verdict)
    string(JSON details GET "${exercises}" ${j} details)
    string(JSON message GET "${exercises}" ${j} message)
    set(outcome_${name}_${id} "${verdict}: ${message}\n${details}")
  endforeach()
endforeach()
require("the reference 05 passes in its slot" "^pass" "${outcome_correct_05_shared_database}")
require("the reference 06 passes in its slot (its real spec on its own role and Redis)" "^pass"
        "${outcome_correct_06_cache_aside}")
set(hostile "${outcome_reaches_for_other_data_05_shared_database}")
require("the hostile submission tried the superuser" "refused: the superuser postgres: " "${hostile}")
require("the hostile submission tried other roles' databases" "refused: all [1-9][0-9]* databases other roles own: [^\n]*permission denied" "${hostile}")
require("the hostile submission tried to make itself superuser" "refused: ALTER ROLE CURRENT_USER SUPERUSER" "${hostile}")
require("the hostile submission tried to become postgres" "refused: SET ROLE postgres" "${hostile}")
require("the hostile submission tried the instructor's Redis" "refused: the instructor's Redis" "${hostile}")
require("the hostile submission tried to move its Redis files, take its password off and add a user without one"
        "refused: CONFIG SET dir, CONFIG SET requirepass and ACL SETUSER default nopass on its own Redis: [^\n]*unknown command 'CONFIG'[^\n]*unknown command 'ACL'"
        "${hostile}")
require("its slot's Redis refused a client without the password (a judged subject has none)"
        "refused: its own slot's Redis without the password: NOAUTH" "${hostile}")
if(hostile MATCHES "hostile: ([0-9]+) of ([0-9]+) attacks refused" AND CMAKE_MATCH_1 EQUAL CMAKE_MATCH_2)
  message(STATUS "every attack was refused: ok")
else()
  string(APPEND failures "\n  not every attack was refused")
endif()
if(hostile MATCHES "BREACH")
  string(APPEND failures "\n  an attack got through:\n${hostile}")
endif()

execute_process(COMMAND ${psql} -d dca_canary_instructor -c "SELECT word FROM canary"
                OUTPUT_VARIABLE canary_row ERROR_VARIABLE canary_err)
execute_process(COMMAND redis-cli -s "${redis_socket}" GET dca_canary OUTPUT_VARIABLE canary_key)
require("the instructor's canary row is intact" "^intact\n$" "${canary_row}${canary_err}")
require("the instructor's canary Redis key is intact" "^intact\n$" "${canary_key}")
execute_process(COMMAND ${psql} -d postgres -c "DROP DATABASE IF EXISTS dca_canary_instructor WITH (FORCE)")
execute_process(COMMAND redis-cli -s "${redis_socket}" DEL dca_canary OUTPUT_QUIET)

if(failures)
  message(FATAL_ERROR "grading module B:${failures}\n(dca grade exited ${rc}:\n${err})\n${report}")
endif()
