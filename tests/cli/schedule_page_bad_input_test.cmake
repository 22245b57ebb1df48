# `dca explore --html` on bad input: one line on stderr naming what was wrong, exit 2, nothing on
# stdout, and no page nor temporary file left in the folder (an existing page stays as it was).
# cmake -DDCA=... -DWORK=DIR -P schedule_page_bad_input_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/pages")
file(WRITE "${WORK}/pages/kept.html" "an earlier page\n")

function(expect_refused expect)
  execute_process(COMMAND "${DCA}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  string(REGEX MATCHALL "\n" newlines "${err}")
  list(LENGTH newlines lines)
  file(GLOB left RELATIVE "${WORK}/pages" "${WORK}/pages/*" "${WORK}/pages/.*")
  if(NOT rc EQUAL 2 OR NOT lines EQUAL 1 OR NOT err MATCHES "${expect}" OR NOT out STREQUAL ""
     OR NOT left STREQUAL "kept.html")
    message(FATAL_ERROR "dca ${ARGN}: expected exit 2, one line matching '${expect}', no output "
                        "and only kept.html left; got exit ${rc}, ${lines} line(s):\n${err}\n"
                        "stdout:\n${out}\nfolder: ${left}")
  endif()
  message(STATUS "refused (exit 2): ${err}")
endfunction()

expect_refused("cannot write ${WORK}/missing/page.html: No such file or directory"
  explore 01 --html "${WORK}/missing/page.html")
expect_refused("cannot write ${WORK}/pages: it is a folder"
  explore 01 --html "${WORK}/pages")
# 04's actor deadlock schedule names actor 3; exercise 01's threads are 0 and 1.
expect_refused("--replay 0.1.2.3.0.1 is not a schedule of this scenario"
  explore 01 --replay 0.1.2.3.0.1 --html "${WORK}/pages/kept.html")
expect_refused("--html writes a page; give it without --format"
  explore 01 --format json --html "${WORK}/pages/x.html")
file(READ "${WORK}/pages/kept.html" kept)
if(NOT kept STREQUAL "an earlier page\n")
  message(FATAL_ERROR "a refused --html changed the page already there: ${kept}")
endif()
