# Project-wide options and language settings.
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

option(DCA_BUILD_BENCHMARKS "Build the benchmarks in bench/" ON)
option(DCA_BUILD_SLIDES "Build the deck in slides/ (needs Node.js and npm)" OFF)
option(DCA_WITH_SERVICES "Test scripts/services: PostgreSQL 15, a replica, Redis 7 and etcd 3.4 (scripts/bootstrap --services)" OFF)
option(DCA_TSAN "Build with ThreadSanitizer against a CAF core built with it (scripts/build-caf-tsan)" OFF)

# ccache (scripts/bootstrap installs it): paths taken relative to the checkout and the working
# directory left out of the hash, so another checkout of the same sources (a learner's second
# clone, the clones the learner tests build) reuses this one's objects instead of compiling again.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}
      CCACHE_NOHASHDIR=true ${CCACHE_PROGRAM})
endif()

# Assertions stay on in every build we ship (TigerBeetle's habit): they check invariants, not style.
# The ThreadSanitizer build compiles everything again, instrumented: -O1 (what TSan's authors
# advise) and line tables only (-g1: its reports still name file and line) make it about a third
# cheaper to compile, which is most of the TSan phase of scripts/test.
if(DCA_TSAN)
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g1" CACHE STRING "" FORCE)
else()
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O2 -g" CACHE STRING "" FORCE)
endif()
set(CMAKE_CXX_FLAGS_RELEASE "-O2" CACHE STRING "" FORCE)
