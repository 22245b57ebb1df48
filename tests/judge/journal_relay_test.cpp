// The journal relay (dca/bridge/journal_relay.hpp) against its own subject (journal_subject.cpp):
// the judge lends a memory journal it wrote itself, and each test reads it from the learner's side
// (a function's call, an actor's start-up or handler) and checks what came back against the
// judge's own journal.
#include <doctest/doctest.h>

#include <chrono>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"

#include "dca/bridge/journal_relay.hpp"
#include "dca/bridge/stand_in.hpp"
#include "dca/bridge/statement_relay.hpp"
#include "dca/es/memory_journal.hpp"

namespace {

using dca::bridge::call_relayed;
using dca::bridge::lend_journal;

/// A journal holding `count` events of entity thing/KEY, one per append, texts "e1", "e2"...
std::shared_ptr<dca::es::memory_journal> journal_with(const std::string& key, int count) {
  auto j = std::make_shared<dca::es::memory_journal>();
  for (int k = 1; k <= count; ++k) {
    dca::es::append_request req{{"thing", key}, static_cast<std::uint64_t>(k - 1), {}, {}, {}};
    req.events.push_back({"thing_happened", {'x'}, "e" + std::to_string(k)});
    bool done = false;
    j->append(std::move(req), [&](caf::expected<dca::es::append_result> r) { done = bool{r}; });
    REQUIRE(done);
  }
  return j;
}

struct read_answer {
  std::uint8_t code = 0;
  std::vector<std::uint64_t> positions;
  std::vector<std::string> keys;
};

read_answer read_all(std::uint64_t id, std::uint64_t after, std::uint64_t max) {
  auto out = dca::bridge::call_subject("read_all", dca::bridge::encode_result(id, after, max));
  read_answer a;
  dca::bridge::decode_arguments(out, a.code, a.positions, a.keys);
  return a;
}

using tick_atom = caf::atom_constant<caf::atom("tick")>;

} // namespace

TEST_CASE("a learner's read of the lent journal is answered from the judge's journal") {
  auto j = journal_with("a", 3);
  auto lent = lend_journal(j);
  auto a = read_all(lent->id(), 1, 10);
  CHECK(a.code == 0);
  CHECK(a.positions == std::vector<std::uint64_t>{2, 3});
  CHECK(a.keys == std::vector<std::string>{"a#2:e2", "a#3:e3"});
  CHECK(call_relayed<std::uint64_t>("committed", {}, lent->id()) == 3);
}

TEST_CASE("a relayed read carries at most its bound of events, and the reader moves on") {
  auto j = journal_with("b", static_cast<int>(dca::bridge::relayed_events_max) + 5);
  auto lent = lend_journal(j);
  auto first = read_all(lent->id(), 0, 1'000'000);
  REQUIRE(first.positions.size() == dca::bridge::relayed_events_max);
  auto rest = read_all(lent->id(), first.positions.back(), 1'000'000);
  CHECK(rest.positions.size() == 5);
  CHECK(rest.positions.front() == dca::bridge::relayed_events_max + 1);
}

TEST_CASE("two journals lent at once are told apart by their numbers") {
  auto one = lend_journal(journal_with("one", 1));
  auto two = lend_journal(journal_with("two", 2));
  CHECK(one->id() != two->id());
  CHECK(read_all(one->id(), 0, 10).keys == std::vector<std::string>{"one#1:e1"});
  CHECK(read_all(two->id(), 0, 10).keys == std::vector<std::string>{"two#1:e1", "two#2:e2"});
}

TEST_CASE("a snapshot the judge's journal holds reaches the learner's load_snapshot") {
  auto j = journal_with("s", 2);
  j->save_snapshot({"thing", "s"}, {2, 2, {'p', 'q'}, "state"});
  auto lent = lend_journal(j);
  bool has = false;
  std::uint64_t seq = 0;
  std::vector<char> payload;
  auto out = dca::bridge::call_subject("snapshot",
                                       dca::bridge::encode_result(lent->id(), std::string{"s"}));
  dca::bridge::decode_arguments(out, has, seq, payload);
  CHECK(has);
  CHECK(seq == 2);
  CHECK(payload == std::vector<char>{'p', 'q'});
}

TEST_CASE("a learner's actor reads the lent journal in its start-up and in its handlers") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto j = journal_with("f", 1);
  auto lent = lend_journal(j);
  auto follower = dca::bridge::spawn_stand_in(
      sys, "follower", caf::make_message(dca::bridge::service_ref{lent->id()}, caf::actor{self}),
      lent);
  auto next_position = [&] {
    std::uint64_t got = 0;
    self->receive([&](std::uint64_t position) { got = position; },
                  caf::after(std::chrono::seconds(10)) >> [] { FAIL("no position came back"); });
    return got;
  };
  CHECK(next_position() == 1); // its start-up's read
  dca::es::append_request req{{"thing", "f"}, 1, {}, {}, {}};
  req.events.push_back({"thing_happened", {'x'}, "e2"});
  j->append(std::move(req), [](caf::expected<dca::es::append_result>) {});
  self->send(follower, tick_atom::value);
  CHECK(next_position() == 2); // its handler's read, after the judge's own append
  self->send_exit(follower, caf::exit_reason::user_shutdown);
}

// Each of these ends the judge (fail): skipped here, run one per process (tests/judge).
TEST_CASE("an append from the subject ends the judge" * doctest::skip()) {
  auto lent = lend_journal(journal_with("w", 1));
  dca::bridge::call_subject("append", dca::bridge::encode_result(lent->id()));
}

TEST_CASE("a commit subscription from the subject ends the judge" * doctest::skip()) {
  auto lent = lend_journal(journal_with("w", 1));
  dca::bridge::call_subject("subscribe", dca::bridge::encode_result(lent->id()));
}

TEST_CASE("a read of a journal no longer lent ends the judge" * doctest::skip()) {
  std::uint64_t id = 0;
  {
    auto lent = lend_journal(journal_with("w", 1));
    id = lent->id();
  }
  read_all(id, 0, 10);
}

TEST_CASE("a function that asks the judge in an endless loop times out" * doctest::skip()) {
  auto lent = lend_journal(journal_with("loop", 1));
  dca::bridge::call_subject("read_forever", dca::bridge::encode_result(lent->id()));
}
