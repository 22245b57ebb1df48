# `dca play 01` through a pipe: the plain-text game (numbered prompts, one answer a line) played to
# corruption; a closed stdin and a choice that is not offered are one line on stderr, exit 2.
# With -DGAME=06: exercise 06 on the real PostgreSQL and Redis (the servers running), each step a
# statement: the reader's cache fill lands after the writer's update and invalidation.
# cmake -DDCA=... -DWORK=... [-DGAME=06 -DSOURCE=checkout] -P play_plain_text_test.cmake
if(NOT GAME)
  set(GAME 01)
endif()
function(play input expect_rc)
  file(WRITE "${WORK}/answers.txt" "${input}")
  execute_process(COMMAND "${DCA}" play ${GAME} INPUT_FILE "${WORK}/answers.txt"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "dca play ${GAME} < '${input}': expected exit ${expect_rc}, got ${rc}:\n"
                        "${out}\nstderr:\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect_one_line expect)
  string(REGEX MATCHALL "\n" newlines "${err}")
  list(LENGTH newlines lines)
  if(NOT lines EQUAL 1 OR NOT err MATCHES "${expect}")
    message(FATAL_ERROR "expected one line on stderr matching '${expect}', got:\n${err}")
  endif()
  message(STATUS "refused (exit 2): ${err}")
endfunction()

function(expect_lines)
  foreach(expect IN LISTS ARGN)
    if(NOT out MATCHES "${expect}")
      message(FATAL_ERROR "the plain-text game lacks '${expect}':\n${out}")
    endif()
  endforeach()
endfunction()

file(MAKE_DIRECTORY "${WORK}")
if(GAME STREQUAL "06")
  # As a learner does first (dca play does not start them: each turn would wait for it).
  execute_process(COMMAND "${SOURCE}/scripts/services" start --only postgres,replica,redis
                  RESULT_VARIABLE started OUTPUT_VARIABLE start_out ERROR_VARIABLE start_out)
  if(NOT started EQUAL 0)
    message(FATAL_ERROR "scripts/services start failed:\n${start_out}")
  endif()
  # The reader misses the cache and reads 100; the writer updates to 120 and deletes the cached
  # price; the reader sets the 100 it read. (Bad answers are 01's: every game reads them alike.)
  play("1\n1\n2\n2\n1\n" 3)
  expect_lines("Step 1: who runs next\\?\n  1  reader +GET price:s[0-9]+: nil +auto reply = cache_"
               "  2  reader +SELECT prices: cents=100 +auto rows = db_\\.exec"
               "Now: GET price:s[0-9]+: nil, SELECT prices: cents=100"
               "  3  writer +UPDATE prices: cents=120" "  4  writer +DEL price:s[0-9]+"
               "CORRUPTED at step 5:\n  the reader missed, read 100 from PostgreSQL"
               "You corrupted it in 5 steps; the explorer's search found it in 5"
               "dca explore 06 --variant shared --replay 0\\.0\\.1\\.1\\.0")
  return()
endif()
# T1 reads, T2 reads, T1 writes, T2 writes.
play("1\n2\n1\n1\n" 3)
expect_lines("Step 1: who runs next\\?" "  1  T1 +load counter = 0 +std::int64_t seen = counter.load\\(\\);"
             "Now: counter = 0" "Choose 1-2 \\(q quits\\): 2" "Step 4: who runs next\\?"
             "CORRUPTED at step 4:\n  T1 and T2 both read 0 and both wrote 1"
             "You corrupted it in 4 steps; the explorer's search found it in 4"
             "dca explore 01 --variant shared --replay 0.1.0.1")

play("" 2)
expect_one_line("^dca play: stdin closed before the game ended \\(at step 1\\)")
play("1\n7\n" 2)
expect_one_line("^dca play: '7' is not one of the choices at step 2: answer 1 to 2, or q to quit")
play("q\n" 0)
if(NOT out MATCHES "Stopped at step 1")
  message(FATAL_ERROR "q did not stop the game:\n${out}")
endif()
