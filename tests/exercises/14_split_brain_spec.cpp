// Exercise 14's spec, run against both tracks: the naive standby must take account-42 over while
// its owner still serves it, on every one of ten seeded explorations where the explorer loses the
// heartbeats (the lesson), each replaying to the same verdict; the learner's take-over must fence
// the old owner off and serve what the journal holds, on every explored schedule with lost messages
// and in seeded partitions on real threads (the fix).
#include <doctest/doctest.h>

#include "scenario.hpp"
#include "spec_search.hpp"

namespace {

using namespace split_brain;

constexpr std::uint64_t seeded_explorations = 10;

dca::harness::arguments partitions(std::int64_t n) {
  return dca::harness::arguments{{{"partitions", n}, {"withdrawals", 8}}, dca::spec::seed()};
}

std::string field(const dca::harness::run_result& r, const std::string& name) {
  for (const auto& [key, value] : r.fields)
    if (key == name)
      return value;
  return "";
}

} // namespace

TEST_CASE("the journal judge counts an append that misses the last event, a seq written twice and "
          "an overdraft") {
  auto clean = judge_journal({{1, 1, 1, -60}, {2, 2, 2, -30}});
  CHECK(clean.dual_owner_appends == 0);
  CHECK(clean.duplicate_seqs == 0);
  CHECK(clean.lowest_balance == 10);
  auto split = judge_journal({{1, 0, 1, -60}, {2, 0, 1, -60}, {1, 0, 2, -10}, {2, 0, 2, -10}});
  CHECK(split.dual_owner_appends == 2);
  CHECK(split.duplicate_seqs == 2);
  CHECK(split.lowest_balance == -40);
}

TEST_CASE("the heartbeat standby takes the account over while its owner serves it, on each of ten "
          "seeded explorations, and each failure replays") {
  auto ex = describe();
  for (std::uint64_t seed = 1; seed <= seeded_explorations; ++seed) {
    auto opts = dca::spec::random_search();
    opts.seed = seed;
    auto found = ex.explore_shared(opts);
    REQUIRE_MESSAGE(found.result == dca::explore::outcome::invariant_broken, "seed " << seed);
    CHECK(found.verdict.find("account-42: 1 dual-owner appends (1 events sharing a (key, seq)), "
                             "lowest balance -20 cents") == 0);
    CHECK(found.failing_schedule.to_string().find('d') != std::string::npos);
    dca::explore::options replay;
    replay.replay = found.failing_schedule;
    auto again = ex.explore_shared(replay);
    CHECK(again.verdict == found.verdict);
  }
}

TEST_CASE("without fencing, seeded partitions on real threads leave dual-owner appends") {
  auto r = describe().run_shared(partitions(5), {});
  CHECK(r.corrupted);
  CHECK(field(r, "dual_owner_appends") != "0");
}

TEST_CASE("the leased take-over keeps one owner on every explored schedule with lost heartbeats") {
  auto r = describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "14"));
}

TEST_CASE("a seeded random search with lost heartbeats: one owner at a time") {
  auto r = describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "14"));
}

TEST_CASE(
    "with the lease's revision as the journal's fence, seeded partitions leave no stale-owner "
    "append") {
  auto r = describe().run_actors(partitions(10), {});
  CHECK_MESSAGE(!r.corrupted, r.summary);
  CHECK(field(r, "dual_owner_appends") == "0");
  CHECK(field(r, "overdrawn_partitions") == "0");
}
