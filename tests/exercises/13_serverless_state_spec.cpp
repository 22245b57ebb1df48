// Exercise 13's spec, run against both tracks: the stateless handlers must sell one seat twice
// under the explorer against the real PostgreSQL, on every run and from every seed;
// compare-and-set must stop that and still give a retried request two seats; both handlers must
// answer bad input with one line and change nothing. The learner's invocation must get a retried
// request its first seat from the event's entity: after the first finished, after a worker was
// killed mid-invocation, after the entity was recovered from its journal, under seeded fault plans
// on CAF's deterministic scheduler, and on every explored delivery order.
#include <doctest/doctest.h>

#include "caf_doctest.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/services/scratch.hpp"
#include "scenario.hpp"
#include "spec_search.hpp"

namespace {

using namespace serverless_state;
using dca::services::pg_connection;

/// The store with one event of `seats` free seats, and a connection to it.
struct store {
  dca::services::scratch space{"ex13"};
  pg_connection db;
  explicit store(int seats) : db(space.connect("spec")) {
    space.reset(schema_sql, "INSERT INTO seat_maps VALUES ('" + event_id + "', repeat('0', " +
                                std::to_string(seats) + "), 0)");
  }
};

/// The event's entity on CAF's deterministic scheduler, its journal kept apart from its host so a
/// new host can recover it.
struct platform : deterministic_actors {
  std::shared_ptr<dca::es::memory_journal> journal = std::make_shared<dca::es::memory_journal>();
  caf::actor events = spawn_events(sys, journal);

  explicit platform(int seats) {
    auto opened = ask<dca::es::ack>(events, dca::es::ack{}, dca::es::command_atom::value,
                                    entity_key(event_id), event_seats::command{open_event{seats}},
                                    std::string{"open"});
    REQUIRE(opened.seq == 1);
  }

  /// An actor that keeps the answer it is sent in `*got`.
  caf::actor inbox(std::shared_ptr<answer> got) {
    return sys.spawn([got](caf::event_based_actor* box) -> caf::behavior {
      return {[=](answer& a) {
        *got = std::move(a);
        box->quit();
      }};
    });
  }

  /// Invokes `call` and runs every actor until its answer is there.
  answer invoke(const invocation& call) {
    auto got = std::make_shared<answer>();
    spawn_invocation(sys, events, call, inbox(got));
    run();
    return *got;
  }

  event_state state(const std::string& event = event_id) {
    return ask<event_state>(events, event_state{}, dca::es::get_atom::value, entity_key(event));
  }
};

std::string seats_words(const answer& first, const answer& retry) {
  return "request r1 was given " +
         std::string{first.seat == retry.seat ? "1 seat" : "2 different seats"} +
         ", one per invocation (seat " + std::to_string(first.seat) + ", then " +
         std::to_string(retry.seat) + " on the retry): the retry must carry the same idempotency " +
         "key as the first invocation";
}

} // namespace

TEST_CASE("the stateless handlers sell one seat twice on every exploration") {
  auto ex = describe();
  auto found = ex.explore_shared(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict == "T1 and T2 both read seats=00: 1 seat sold twice, 0 requests holding 2+ "
                         "seats, 2 sold and 1 marked in the map");
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.verdict == found.verdict);
  CHECK(again.trace.size() == found.trace.size());
}

TEST_CASE("the seat sold twice is found on ten explorations in a row, each from a reset store") {
  auto ex = describe();
  for (int run = 1; run <= 10; ++run) {
    CAPTURE(run);
    CHECK(ex.explore_shared(dca::spec::every_order()).result ==
          dca::explore::outcome::invariant_broken);
  }
}

TEST_CASE("a seeded random search finds the seat sold twice, and its schedule replays") {
  auto ex = describe();
  auto found = ex.explore_shared(dca::spec::random_search());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  CHECK(ex.explore_shared(replay).verdict == found.verdict);
}

TEST_CASE("compare-and-set sells no seat twice on any explored schedule") {
  auto r = explore_cas(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, r.verdict);
}

TEST_CASE("compare-and-set still gives a retried request a second seat") {
  store s{4};
  auto first = reserve_seat_cas(s.db, request_of(0), false);
  auto retry = reserve_seat_cas(s.db, request_of(0), false); // after the first finished
  CHECK(first.seat == 1);
  CHECK(retry.seat == 2);
  CHECK_THROWS_AS(reserve_seat_cas(s.db, request_of(1), true), worker_killed);
  CHECK(reserve_seat_cas(s.db, request_of(1), false).seat == 4); // the killed one kept seat 3
  auto t = tally_store(s.db);
  CHECK(t.double_booked == 0);
  CHECK(t.requests_reserved_twice == 1);
  CHECK(t.marked - t.sold == 1); // seat 3: marked by the killed worker, held by nobody
}

TEST_CASE("the handlers answer an unknown event and a malformed request id with one line, "
          "changing nothing") {
  store s{2};
  for (auto handler : {reserve_seat, reserve_seat_cas}) {
    auto unknown = handler(s.db, {"e9", "r1", "u1"}, false);
    CHECK(unknown.seat == 0);
    CHECK(unknown.error == unknown_event_words("e9"));
    auto malformed = handler(s.db, {event_id, "r 1;--", "u1"}, false);
    CHECK(malformed.seat == 0);
    CHECK(malformed.error.find("request id 'r 1;--' is malformed") == 0);
    CHECK(malformed.error.find('\n') == std::string::npos);
  }
  auto t = tally_store(s.db);
  CHECK(t.sold == 0);
  CHECK(t.marked == 0);
}

TEST_CASE("the event's entity gives a request retried after its first invocation the same seat") {
  platform p{4};
  auto first = p.invoke(request_of(0));
  auto retry = p.invoke(request_of(0)); // the platform timed the first out after it finished
  REQUIRE(first.seat == 1);
  CHECK_MESSAGE(retry.seat == first.seat, seats_words(first, retry));
  CHECK(p.invoke(request_of(1)).seat == 2);
  CHECK(tally_entity(p.state()).clean());
  CHECK(p.state().reservations == 2);
}

TEST_CASE("a worker killed mid-invocation, then retried: the request holds one seat") {
  platform p{4};
  auto lost = std::make_shared<answer>();
  auto doomed = spawn_invocation(p.sys, p.events, request_of(0), p.inbox(lost));
  p.step(doomed);                                      // it sends its command to the entity...
  caf::anon_send_exit(doomed, caf::exit_reason::kill); // ...and dies before the answer
  p.run();
  CHECK(lost->seat == 0);
  CHECK(p.state().reservations == 1); // the entity did take a seat for it
  auto retry = p.invoke(request_of(0));
  CHECK_MESSAGE(retry.seat == 1, "the retry of a killed invocation took seat "
                                     << retry.seat
                                     << ": the entity must know the request by its key");
  CHECK(p.state().reservations == 1);
}

TEST_CASE("the entity recovered from its journal answers a retry with the first seat") {
  platform p{4};
  auto first = p.invoke(request_of(0));
  caf::anon_send_exit(p.events, caf::exit_reason::kill); // the host and its entities are gone
  p.run();
  p.events = spawn_events(p.sys, p.journal); // the next invocation activates it from its journal
  auto retry = p.invoke(request_of(0));
  CHECK_MESSAGE(retry.seat == first.seat, seats_words(first, retry));
  CHECK(p.invoke(request_of(1)).seat == 2);
  CHECK(p.state().reservations == 2);
}

TEST_CASE("under eight seeded fault plans every request holds one seat and none is sold twice") {
  constexpr int seats = 15;
  constexpr std::int64_t requests = 30;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    platform p{seats};
    auto plan = faults_of(seed, requests, 20, 20);
    std::vector<std::shared_ptr<answer>> first(requests), retry(requests);
    for (std::int64_t k = 0; k < requests; ++k) { // all invoked at once
      first[k] = std::make_shared<answer>();
      auto inv = spawn_invocation(p.sys, p.events, request_of(k), p.inbox(first[k]));
      if (plan[k] == fault::killed_mid_invocation) {
        p.step(inv);
        caf::anon_send_exit(inv, caf::exit_reason::kill);
      }
    }
    p.run();
    for (std::int64_t k = 0; k < requests; ++k)
      if (plan[k] != fault::none) // retried after the first finished (or died)
        retry[k] = std::make_shared<answer>(p.invoke(request_of(k)));
    for (std::int64_t k = 0; k < requests; ++k)
      if (plan[k] == fault::retried_after_finish)
        CHECK_MESSAGE(retry[k]->seat == first[k]->seat, "request r" << k + 1 << ": seat "
                                                                    << first[k]->seat << ", then "
                                                                    << retry[k]->seat);
    auto t = tally_entity(p.state());
    CHECK(t.clean());
    CHECK(t.sold == seats);
  }
}

TEST_CASE("the entity answers an unknown event and a malformed request id with one line, "
          "appending nothing") {
  platform p{2};
  auto unknown = p.invoke({"e9", "r1", "u1"});
  CHECK(unknown.seat == 0);
  CHECK(unknown.error.find("unknown_event") != std::string::npos);
  CHECK(unknown.error.find('\n') == std::string::npos);
  auto malformed = p.invoke({event_id, "r 1;--", "u1"});
  CHECK(malformed.seat == 0);
  CHECK(malformed.error.find("request id 'r 1;--' is malformed") != std::string::npos);
  CHECK(p.state().reservations == 0);
  CHECK_FALSE(p.state("e9").opened);
  CHECK(p.journal->committed_position() == 1); // the event's opening, nothing else
}

TEST_CASE("the event's entity keeps one seat per request on every explored delivery order") {
  auto r = describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "13"));
}

TEST_CASE("a seeded random search of delivery orders: one seat per request, none sold twice") {
  auto r = describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "13"));
}
