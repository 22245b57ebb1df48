# dca_add_judge(NN_name NN SKELETON_FAILS_WITH) registers the judged build of an exercise that has
# tests/judge/NN_name/ (stand_ins.cpp: the contract as stand-ins; subject.cpp: the subject's main):
#   judgeNN_spec  the exercise's spec with stand-ins instead of message_passing.cpp: no learner code
#   judgeNN       the exercise program likewise (explore, run)
#   subjectNN / ex_subjectNN  the subject: the reference / the skeleton message_passing.cpp
# `dca grade` links a learner's file into subjectNN's link line and runs judgeNN_spec and judgeNN
# with DCA_SUBJECT naming it. The CTests: every spec case through the bridge against the
# reference, and the skeleton failing for its intended reason through the bridge too.
function(dca_add_judge id nn skeleton_fails_with)
  set(judge_dir "${PROJECT_SOURCE_DIR}/tests/judge/${id}")
  # Nor without the exercise's spec: the tsan build has none for the exercises on the servers.
  if(NOT EXISTS "${judge_dir}/stand_ins.cpp" OR NOT TARGET ex${nn}_spec_object)
    return()
  endif()
  # An exercise on the servers may relay its learner's statements (dca/bridge/statement_relay.hpp).
  set(bridge dca::bridge)
  get_target_property(common_libs ex${nn}_common INTERFACE_LINK_LIBRARIES)
  if("dca::services" IN_LIST common_libs AND TARGET dca::bridge_services)
    set(bridge dca::bridge_services)
  endif()
  add_library(judge${nn}_stand_ins OBJECT ${judge_dir}/stand_ins.cpp)
  target_link_libraries(judge${nn}_stand_ins PUBLIC ex${nn}_common ${bridge} PRIVATE dca::warnings)
  # The exercise's own spec and main, compiled once (ex${nn}_spec_object, ex${nn}_main_object):
  # the judge is the same code linked against stand-ins instead of a message_passing.cpp.
  add_executable(judge${nn} $<TARGET_OBJECTS:ex${nn}_main_object>)
  target_link_libraries(judge${nn} PRIVATE ex${nn}_common judge${nn}_stand_ins dca::warnings)
  add_executable(judge${nn}_spec $<TARGET_OBJECTS:ex${nn}_spec_object>)
  target_link_libraries(judge${nn}_spec PRIVATE
    dca::test_main ex${nn}_common judge${nn}_stand_ins dca::warnings)
  add_library(judge${nn}_subject_main OBJECT ${judge_dir}/subject.cpp)
  target_link_libraries(judge${nn}_subject_main PUBLIC ex${nn}_common ${bridge} PRIVATE dca::warnings)
  foreach(track sol ex)
    set(subject ${track}_subject${nn})
    if(track STREQUAL "sol")
      set(subject subject${nn})
    endif()
    add_executable(${subject} $<TARGET_OBJECTS:judge${nn}_subject_main>)
    target_link_libraries(${subject} PRIVATE
      ex${nn}_common ${track}${nn}_message_passing ${bridge} dca::warnings)
  endforeach()
  # Not in the tsan build: the judge's fork and exec of the subject under TSan is not verified yet.
  if(DCA_TSAN)
    return()
  endif()
  doctest_discover_tests(judge${nn}_spec TEST_PREFIX "exercise.${id}.judged."
    PROPERTIES LABELS "exercise" ENVIRONMENT "DCA_SUBJECT=$<TARGET_FILE:subject${nn}>")
  add_test(NAME exercise.${id}.judged_skeleton_fails_its_spec
    COMMAND ${CMAKE_COMMAND} -E env "DCA_SUBJECT=$<TARGET_FILE:ex_subject${nn}>"
            ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:judge${nn}_spec> "-DEXPECT=${skeleton_fails_with}"
            -P ${PROJECT_SOURCE_DIR}/cmake/expect_failure.cmake)
  set_tests_properties(exercise.${id}.judged_skeleton_fails_its_spec PROPERTIES LABELS "exercise")
endfunction()
