// What every classic program of the suite is checked with: its buggy variant must be found by the
// search named, its correct variant proven clean by DPOR over every schedule, each within 2 s.
#pragma once

#include <doctest/doctest.h>

#include "dca/explore/explorer.hpp"

namespace classics {

using namespace dca::explore;

inline options with(strategy s, int bound = 2) {
  options opts;
  opts.search = s;
  opts.preemptions_max = bound;
  opts.seed = 1;
  return opts;
}

/// The bug is found by `s`, its schedule replays to the same verdict, and how fast is printed.
inline void require_found(const char* name, const thread_execution_factory& make, strategy s) {
  auto r = explore_threads(make, with(s));
  MESSAGE(std::string{name} << ": " << std::string{to_string(r.result)} << " after "
                            << r.schedules_explored << " schedules in " << r.elapsed.count()
                            << " us: " << r.verdict);
  REQUIRE(r.failed());
  CHECK(r.elapsed < std::chrono::seconds{2});
  options again;
  again.replay = r.failing_schedule;
  CHECK(explore_threads(make, again).verdict == r.verdict);
}

/// DPOR covers every schedule and finds nothing; the counts are printed.
inline void require_proven(const char* name, const thread_execution_factory& make) {
  auto r = explore_threads(make, with(strategy::dpor));
  MESSAGE(std::string{name} << ": " << proof_text(r) << " (" << r.schedules_explored
                            << " schedules in " << r.elapsed.count() << " us)");
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.classes_explored < r.interleavings_naive);
  CHECK(r.elapsed < std::chrono::seconds{2});
}

} // namespace classics
