# ThreadSanitizer for the tsan preset (DCA_TSAN=ON), and tests that state what TSan must say.
# Included from dependencies.cmake, i.e. at the top-level directory scope, before any target.
#
# dca_add_tsan_expectation(NAME <name> COMMAND <target-or-program> [args...]
#                          EXPECT race|clean [REPEAT <n>] [TIMEOUT <s>] [LABELS <label>...])
#   Registers a CTest test (label "tsan" plus LABELS) that runs COMMAND REPEAT times (default 1),
#   each run killed and failed after TIMEOUT seconds (default 120: TSan slows code 5-15x),
#   with TSAN_OPTIONS="halt_on_error=0 exitcode=66 ..." and passes only if every run says:
#     EXPECT race   TSan reported "WARNING: ThreadSanitizer: data race" and the exit code is 66;
#     EXPECT clean  the exit code is 0 and "ThreadSanitizer" appears nowhere in the output.
#   A target name as the first word of COMMAND becomes its file. Outside the tsan build
#   (DCA_TSAN=OFF) it registers nothing: without instrumentation neither outcome means anything.
#   Examples: an exercise's shared-state variant EXPECT race, its solution EXPECT clean.
#
# This file is also the script those tests run:
#   cmake -DEXPECT=race|clean [-DREPEAT=n] [-DTIMEOUT=s] -P cmake/sanitizers.cmake -- <command...>

if(CMAKE_SCRIPT_MODE_FILE)
  # ---- script mode: run the command and judge TSan's output -------------------------------------
  set(cmd "")
  set(after_dashes FALSE)
  math(EXPR last "${CMAKE_ARGC} - 1")
  foreach(i RANGE 1 ${last})
    if(after_dashes)
      list(APPEND cmd "${CMAKE_ARGV${i}}")
    elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
      set(after_dashes TRUE)
    endif()
  endforeach()
  if("${cmd}" STREQUAL "" OR NOT EXPECT MATCHES "^(race|clean)$")
    message(FATAL_ERROR "usage: cmake -DEXPECT=race|clean [-DREPEAT=n] [-DTIMEOUT=s] -P sanitizers.cmake -- command...")
  endif()
  if(NOT REPEAT)
    set(REPEAT 1)
  endif()
  if(NOT TIMEOUT)
    set(TIMEOUT 120)
  endif()
  # Later flags win: keep the caller's TSAN_OPTIONS but fix the ones the verdict depends on.
  set(ENV{TSAN_OPTIONS} "$ENV{TSAN_OPTIONS} halt_on_error=0 exitcode=66 second_deadlock_stack=1")
  foreach(run RANGE 1 ${REPEAT})
    execute_process(COMMAND ${cmd} TIMEOUT ${TIMEOUT}
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    # "WARNING: ThreadSanitizer: data race (pid=...)" -> kinds such as "data race x3".
    string(REGEX MATCHALL "WARNING: ThreadSanitizer: [^\n(]*" reports "${out}")
    list(LENGTH reports n_reports)
    set(kinds "")
    if(reports)
      list(TRANSFORM reports REPLACE "^WARNING: ThreadSanitizer: (.*[^ ]) *$" "\\1")
      set(seen_kinds ${reports})
      list(REMOVE_DUPLICATES seen_kinds)
      foreach(kind IN LISTS seen_kinds)
        set(count 0)
        foreach(r IN LISTS reports)
          if(r STREQUAL kind)
            math(EXPR count "${count} + 1")
          endif()
        endforeach()
        list(APPEND kinds "${kind} x${count}")
      endforeach()
      list(JOIN kinds ", " kinds)
    endif()
    set(why "")
    if(EXPECT STREQUAL "race")
      if(NOT out MATCHES "WARNING: ThreadSanitizer: data race")
        set(why "expected TSan to report a data race; it reported none")
      elseif(NOT rc EQUAL 66)
        set(why "TSan reported a race but the exit code is '${rc}', not 66")
      endif()
    else()
      if(out MATCHES "ThreadSanitizer")
        set(why "expected no TSan report; it reported ${n_reports} (${kinds})")
      elseif(NOT rc EQUAL 0)
        set(why "no TSan report, but the program failed with '${rc}'")
      endif()
    endif()
    if(why)
      message("${out}")
      message(FATAL_ERROR "tsan expectation '${EXPECT}', run ${run}/${REPEAT}: ${why}")
    endif()
    if(n_reports GREATER 0)
      set(kinds ": ${kinds}")
    endif()
    message(STATUS "run ${run}/${REPEAT}: ${EXPECT} as expected (exit ${rc}, ${n_reports} TSan report(s)${kinds})")
  endforeach()
  return()
endif()

# ---- configure mode -------------------------------------------------------------------------------
set(DCA_SANITIZERS_SCRIPT "${CMAKE_CURRENT_LIST_FILE}" CACHE INTERNAL "")

if(DCA_TSAN)
  # Directory scope of the top level: every target of the project, ours and tests, is instrumented.
  add_compile_options(-fsanitize=thread)
  add_link_options(-fsanitize=thread)
endif()

# In the tsan build every caf/ header must resolve inside CAF_INCLUDE_DIR: a header missing there
# would silently fall through to Debian's /usr/include/caf (a system directory, always searched
# last). Preprocesses CAF's umbrella headers once per CAF_INCLUDE_DIR and fails if any did.
# tests/tsan checks the real compile lines of every built object the same way (ninja -t deps).
function(dca_check_caf_headers_self_contained)
  if(DCA_CAF_HEADERS_CHECKED STREQUAL CAF_INCLUDE_DIR)
    return()
  endif()
  set(src "${CMAKE_BINARY_DIR}/CMakeFiles/dca_caf_headers_check.cpp")
  file(WRITE "${src}" "#include <caf/all.hpp>\n#include <caf/io/all.hpp>\n"
    "#include <caf/test/unit_test.hpp>\n#include <caf/test/dsl.hpp>\n#include <caf/test/io_dsl.hpp>\n")
  execute_process(
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++17 -isystem ${CAF_INCLUDE_DIR} -isystem ${CAF_BUILD_CONFIG_DIR}
            -M ${src}
    RESULT_VARIABLE rc OUTPUT_VARIABLE deps ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "CAF headers in ${CAF_INCLUDE_DIR} do not preprocess:\n${err}")
  endif()
  string(REGEX MATCHALL "/usr/(local/)?include/caf/[^ \\\n]*" leaked "${deps}")
  if(leaked)
    list(REMOVE_DUPLICATES leaked)
    message(FATAL_ERROR "tsan build: these CAF headers come from the system, not ${CAF_INCLUDE_DIR}: ${leaked}")
  endif()
  message(STATUS "CAF headers: all from ${CAF_INCLUDE_DIR}")
  set(DCA_CAF_HEADERS_CHECKED "${CAF_INCLUDE_DIR}" CACHE INTERNAL "")
endfunction()

function(dca_add_tsan_expectation)
  cmake_parse_arguments(arg "" "NAME;EXPECT;REPEAT;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  if(NOT arg_NAME OR "${arg_COMMAND}" STREQUAL "" OR NOT arg_EXPECT MATCHES "^(race|clean)$")
    message(FATAL_ERROR "dca_add_tsan_expectation(NAME n COMMAND cmd... EXPECT race|clean [REPEAT n] [TIMEOUT s] [LABELS l...])")
  endif()
  if(NOT DCA_TSAN)
    return()
  endif()
  if(NOT arg_REPEAT)
    set(arg_REPEAT 1)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()
  list(POP_FRONT arg_COMMAND program)
  if(TARGET ${program})
    set(program "$<TARGET_FILE:${program}>")
  endif()
  add_test(NAME ${arg_NAME}
    COMMAND ${CMAKE_COMMAND} -DEXPECT=${arg_EXPECT} -DREPEAT=${arg_REPEAT} -DTIMEOUT=${arg_TIMEOUT}
            -P ${DCA_SANITIZERS_SCRIPT} -- ${program} ${arg_COMMAND})
  # CTest's own limit must leave room for every run's TIMEOUT (presets default to 300 s).
  math(EXPR test_timeout "${arg_REPEAT} * ${arg_TIMEOUT} + 30")
  set_tests_properties(${arg_NAME} PROPERTIES LABELS "tsan;${arg_LABELS}" TIMEOUT ${test_timeout})
endfunction()
