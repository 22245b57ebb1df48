// Exercise 08's spec, run against both tracks: the shared-state reads from the real streaming
// replica must show a session an older profile than its own write under the explorer (the lesson),
// and the learner's session must read its own writes and never go back, on every explored and
// seeded delivery order of the entity, the two views and the session (the fix). A seed (DCA_SEED)
// decides the random search, and a failure prints the replay of its delivery order.
#include <doctest/doctest.h>

#include "dca/services/endpoints.hpp"
#include "scenario.hpp"
#include "spec_search.hpp"

namespace {

replica_lag::observation wrote(std::int64_t version) {
  return {true, version, "primary"};
}
replica_lag::observation read(std::int64_t version) {
  return {false, version, "replica"};
}

} // namespace

TEST_CASE("a read older than the session's last write is a read-your-writes violation") {
  auto t = replica_lag::tally({wrote(2), read(1), wrote(3), read(3), read(2)});
  CHECK(t.reads == 3);
  CHECK(t.ryw_violations == 2);
  CHECK(t.monotonic_violations == 1);
}

TEST_CASE("reads that never go back and see the session's writes violate nothing") {
  auto t = replica_lag::tally({read(1), wrote(2), read(2), read(2), wrote(3), read(4)});
  CHECK(t.ryw_violations == 0);
  CHECK(t.monotonic_violations == 0);
}

TEST_CASE("the shared-state session reads its profile back older from the replica on every "
          "exploration") {
  auto ex = replica_lag::describe();
  for (int run = 0; run < 2; ++run) {
    auto found = ex.explore_shared(dca::spec::every_order());
    REQUIRE(found.result == dca::explore::outcome::invariant_broken);
    CHECK(found.verdict ==
          "the session wrote version 2 (primary), then read version 2 (primary), version 1 "
          "(replica): 1 read older than its own write, 1 older than an earlier read, of 2 reads "
          "(the replica had not replayed the rename yet)");
    dca::explore::options replay;
    replay.replay = found.failing_schedule;
    auto again = ex.explore_shared(replay);
    CHECK(again.result == dca::explore::outcome::invariant_broken);
    CHECK(again.verdict == found.verdict);
  }
}

TEST_CASE("a schedule where the replica replays the rename before the session reads is clean") {
  auto ex = replica_lag::describe();
  dca::explore::options replay;
  replay.replay = *dca::explore::schedule::parse("0.1.0.0");
  auto r = ex.explore_shared(replay);
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, r.verdict);
}

TEST_CASE("the replica replays again once an exploration is over") {
  replica_lag::describe().explore_shared(dca::spec::every_order());
  const auto& servers = dca::services::require();
  // The lock every exploration holds while it pauses the replica: with it, none of another test
  // process is running.
  dca::services::pg_connection primary{dca::services::with_dbname(servers.primary, "postgres"),
                                       "spec"};
  primary.exec("SELECT pg_advisory_lock_shared(hashtext('dca replica replay'))");
  dca::services::pg_connection replica{dca::services::with_dbname(servers.replica, "postgres"),
                                       "spec"};
  CHECK(replica.exec("SELECT pg_get_wal_replay_pause_state()").at(0, 0) ==
        std::optional<std::string>{"not paused"});
}

TEST_CASE("the profile entity renames the profile and counts its versions") {
  replica_lag::profile_entity::state s;
  auto events = replica_lag::profile_entity::decide(s, replica_lag::rename_profile{"grace"});
  REQUIRE(events);
  REQUIRE(events->size() == 1);
  s = replica_lag::profile_entity::apply(s, events->front());
  CHECK(s.name == "grace");
  CHECK(s.version == 1);
}

TEST_CASE("a session reads its own writes and never goes back on every explored delivery order") {
  auto r = replica_lag::describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "08"));
}

TEST_CASE("a seeded random search of delivery orders finds no stale read") {
  auto r = replica_lag::describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "08"));
}
