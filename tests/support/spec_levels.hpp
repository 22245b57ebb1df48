// The spec of one failure at every level (dca explore NN --levels), shared by exercises 01 and 02:
// each level's split read-then-write corrupts on every one of ten fixed seeds, and the failing
// schedule replays to the same verdict; the fix is clean on every delivery order (DPOR) at the
// actor and node levels. The levels are the harness's own actors, so this holds on both tracks.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "dca/explore/options.hpp"
#include "dca/harness/exercise.hpp"
#include "spec_search.hpp"

namespace dca::spec {

/// The level names in order: what `dca explore NN --levels` shows side by side.
inline std::string level_names(const dca::harness::exercise& ex) {
  std::string out;
  for (const auto& l : ex.levels)
    out += (out.empty() ? "" : " ") + l.name;
  return out;
}

/// Seeds 1 to 10, a random search each, at every level: each finds the corruption, and its
/// schedule, replayed, breaks the invariant with the same verdict.
inline void check_every_level_corrupts_on_ten_seeds(const dca::harness::exercise& ex) {
  REQUIRE(level_names(ex) == "threads actors nodes");
  for (const auto& level : ex.levels)
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      CAPTURE(level.name);
      CAPTURE(seed);
      auto opts = random_search();
      opts.seed = seed;
      auto found = level.split(opts);
      REQUIRE(found.result == dca::explore::outcome::invariant_broken);
      dca::explore::options replay;
      replay.replay = found.failing_schedule;
      auto again = level.split(replay);
      CHECK(again.result == dca::explore::outcome::invariant_broken);
      CHECK(again.verdict == found.verdict);
      CHECK(again.failing_schedule == found.failing_schedule);
    }
}

/// The fix at the actor and node levels: every delivery order up to reordering is clean, and the
/// search was exhausted (a proof, not a budget).
inline void check_fix_is_clean_at_actors_and_nodes(const dca::harness::exercise& ex) {
  REQUIRE(ex.levels.size() == 3);
  CHECK_FALSE(ex.levels[0].fixed); // threads: the shared-state track has no fix to show here
  for (std::size_t i = 1; i < ex.levels.size(); ++i) {
    CAPTURE(ex.levels[i].name);
    auto opts = every_order();
    opts.search = dca::explore::strategy::dpor;
    auto r = ex.levels[i].fixed(opts);
    CHECK_MESSAGE(r.result == dca::explore::outcome::clean, r.verdict);
    CHECK(r.search_exhausted);
    CHECK(r.classes_explored > 1);
  }
}

} // namespace dca::spec
