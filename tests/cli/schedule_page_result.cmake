# One exercise's verdicts from the schedule-page browser run (schedule_pages_test.sh, the fixture):
# passes when the page of each variant was written and every check in Chromium passed.
# cmake -DPAGES=DIR -DNAME=01_lost_update -DVARIANTS=shared,actors -P schedule_page_result.cmake
string(REPLACE "," ";" variants "${VARIANTS}")
if(NOT variants)
  message(FATAL_ERROR "${NAME}: no variant to check (the manifest's `explored`)")
endif()
foreach(variant IN LISTS variants)
  set(result "${PAGES}/${NAME}-${variant}.result")
  if(NOT EXISTS "${result}")
    message(FATAL_ERROR "${NAME} (${variant}): no verdict in ${PAGES}: the setup test "
                        "cli.schedule_pages.every_exercise_opens_in_chromium did not check it")
  endif()
  file(READ "${result}" verdict)
  if(NOT verdict STREQUAL "ok\n")
    message(FATAL_ERROR "${NAME} (${variant}): the schedule page failed in Chromium:\n${verdict}")
  endif()
  message(STATUS "${NAME} (${variant}): ok; screenshot ${PAGES}/${NAME}-${variant}.png")
endforeach()
