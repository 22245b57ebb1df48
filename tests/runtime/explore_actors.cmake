# Tests of the actor schedule explorer (runtime/src/explore/actor_explorer.cpp), registered from
# tests/runtime/CMakeLists.txt with include(${CMAKE_CURRENT_SOURCE_DIR}/explore_actors.cmake).
dca_add_test(test_explore_actors
  PREFIX "runtime.explore_actors."
  SOURCES explore/actor_explorer_test.cpp
  LIBRARIES dca::runtime
  LABELS "runtime;tsan")
