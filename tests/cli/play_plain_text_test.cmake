# `dca play 01` through a pipe: the plain-text game (numbered prompts, one answer a line) played to
# corruption; a closed stdin and a choice that is not offered are one line on stderr, exit 2.
# cmake -DDCA=... -P play_plain_text_test.cmake
function(play input expect_rc)
  file(WRITE "${WORK}/answers.txt" "${input}")
  execute_process(COMMAND "${DCA}" play 01 INPUT_FILE "${WORK}/answers.txt"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "dca play 01 < '${input}': expected exit ${expect_rc}, got ${rc}:\n"
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

file(MAKE_DIRECTORY "${WORK}")
# T1 reads, T2 reads, T1 writes, T2 writes.
play("1\n2\n1\n1\n" 3)
foreach(expect "Step 1: who runs next\\?" "  1  T1 +load counter = 0 +std::int64_t seen = counter.load\\(\\);"
        "Now: counter = 0" "Choose 1-2 \\(q quits\\): 2" "Step 4: who runs next\\?"
        "CORRUPTED at step 4:\n  T1 and T2 both read 0 and both wrote 1"
        "You corrupted it in 4 steps; the explorer's search found it in 4"
        "dca explore 01 --variant shared --replay 0.1.0.1")
  if(NOT out MATCHES "${expect}")
    message(FATAL_ERROR "the plain-text game lacks '${expect}':\n${out}")
  endif()
endforeach()

play("" 2)
expect_one_line("^dca play: stdin closed before the game ended \\(at step 1\\)")
play("1\n7\n" 2)
expect_one_line("^dca play: '7' is not one of the choices at step 2: answer 1 to 2, or q to quit")
play("q\n" 0)
if(NOT out MATCHES "Stopped at step 1")
  message(FATAL_ERROR "q did not stop the game:\n${out}")
endif()
