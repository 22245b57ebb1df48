# Installs the build into a fresh prefix and builds a small outside project against it with
# find_package(dca): what a learner's own project does after the workshop (cmake/install.cmake).
# Run by CTest with BUILD_DIR, WORK_DIR, GENERATOR and CXX set.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

file(WRITE "${WORK_DIR}/app/CMakeLists.txt" [[
cmake_minimum_required(VERSION 3.25)
project(outside_app LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(dca 0.1 REQUIRED)
add_executable(app main.cpp)
target_link_libraries(app PRIVATE dca::es)
]])
file(WRITE "${WORK_DIR}/app/main.cpp" [[
#include <iostream>
#include "dca/es/errors.hpp"
#include "dca/es/memory_journal.hpp"
int main() {
  dca::es::memory_journal journal;
  dca::es::append_request req;
  req.entity = dca::es::entity_id{"thing", "a"};
  req.events.push_back(dca::es::event_data{"made", {'x'}, "made"});
  bool ok = false;
  journal.append(req, [&](caf::expected<dca::es::append_result> r) {
    ok = r && r->last_position == 1;
  });
  std::cout << (ok ? "appended" : "not appended") << "; "
            << dca::es::render(dca::es::make_error(dca::es::errc::timeout, "as expected")) << '\n';
  return ok ? 0 : 1;
}
]])

run("configuring the outside project" "${CMAKE_COMMAND}" -S "${WORK_DIR}/app" -B "${WORK_DIR}/build"
    -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_PREFIX_PATH=${prefix}")
run("building the outside project" "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run("running the outside program" "${WORK_DIR}/build/app")
if(NOT last_output STREQUAL "appended; timeout: as expected\n")
  message(FATAL_ERROR "unexpected output: ${last_output}")
endif()
message("find_package(dca) + dca::es: built and ran: ${last_output}")
