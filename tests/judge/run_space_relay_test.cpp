// The run space relay (dca/bridge/run_space_relay.hpp) against its own subject
// (run_space_subject.cpp) and the real servers (scripts/services, started on demand): the judge
// lends its run space, the subject's functions and actor use it as the learner's code would, and
// each test checks what the judge's own connections see.
#include <doctest/doctest.h>

#include <chrono>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"

#include "dca/bridge/run_space_relay.hpp"
#include "dca/bridge/stand_in.hpp"
#include "dca/bridge/statement_relay.hpp"

namespace {

using dca::bridge::decode_arguments;
using dca::bridge::encode_result;
using dca::bridge::lend_run_space;

/// The judge's run space, one for the whole test program (claiming one takes a second).
std::shared_ptr<dca::services::scratch> judge_space() {
  static auto space = std::make_shared<dca::services::scratch>("relay");
  return space;
}

struct redis_answer {
  std::string key;
  bool error = false;
  std::string text;
  std::int64_t integer = 0;
};

redis_answer relayed_redis(std::uint64_t id, const std::string& key,
                           std::vector<std::string> argv) {
  auto out = dca::bridge::call_subject("redis", encode_result(id, key, argv));
  redis_answer a;
  decode_arguments(out, a.key, a.error, a.text, a.integer);
  return a;
}

std::string relayed_sql(std::uint64_t id, const std::string& sql) {
  std::string first;
  decode_arguments(dca::bridge::call_subject("sql", encode_result(id, sql)), first);
  return first;
}

using tick_atom = caf::atom_constant<caf::atom("tick")>;

} // namespace

TEST_CASE("a relayed Redis command reaches the judge's Redis under the judge's key") {
  auto space = judge_space();
  auto lent = lend_run_space(space);
  auto a = relayed_redis(lent->id(), "greeting", {"SET", "KEY", "hello"});
  CHECK_FALSE(a.error);
  CHECK(a.text == "OK");
  CHECK(a.key == space->key("greeting"));
  auto own = space->connect_redis("judge");
  CHECK(own.command({"GET", space->key("greeting")}).text == "hello");
}

TEST_CASE("an error reply comes back to the learner's code as a value") {
  auto space = judge_space();
  auto lent = lend_run_space(space);
  relayed_redis(lent->id(), "word", {"SET", "KEY", "not a number"});
  auto a = relayed_redis(lent->id(), "word", {"INCR", "KEY"});
  CHECK(a.error);
  CHECK(a.text.rfind("ERR", 0) == 0);
}

TEST_CASE("a relayed statement runs in the judge's database and a refusal comes back thrown") {
  auto space = judge_space();
  space->reset("CREATE TABLE notes (id int PRIMARY KEY, body text)");
  auto lent = lend_run_space(space);
  CHECK(relayed_sql(lent->id(), "INSERT INTO notes VALUES (1, 'kept') RETURNING body") == "kept");
  CHECK(relayed_sql(lent->id(), "INSERT INTO notes VALUES (1, 'again')") == "refused 23505");
  auto own = space->connect("judge");
  CHECK(own.exec("SELECT count(*) FROM notes").at(0, 0) == std::optional<std::string>{"1"});
}

TEST_CASE("the judge's own Redis connection, lent to one call, is the one the call uses") {
  auto space = judge_space();
  auto own = space->connect_redis("spec");
  auto lent = dca::bridge::lend_redis_connection(*space, own);
  auto id_there = relayed_redis(lent->id(), "unused", {"CLIENT", "ID"});
  CHECK(id_there.integer == own.command({"CLIENT", "ID"}).integer);
}

TEST_CASE("a learner's actor keeps one relayed connection from its start-up through its handlers") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto space = judge_space();
  auto own = space->connect_redis("judge");
  own.command({"SET", space->key("counter"), "41"});
  auto lent = lend_run_space(space);
  auto counter = dca::bridge::spawn_stand_in(
      sys, "counter", caf::make_message(dca::bridge::service_ref{lent->id()}, caf::actor{self}),
      lent);
  auto next_count = [&] {
    std::int64_t got = 0;
    self->receive([&](std::int64_t count) { got = count; },
                  caf::after(std::chrono::seconds(10)) >> [] { FAIL("no count came back"); });
    return got;
  };
  CHECK(next_count() == 42); // its start-up's INCR
  self->send(counter, tick_atom::value);
  CHECK(next_count() == 43); // its handler's, on the judge's Redis
  CHECK(own.command({"GET", space->key("counter")}).text == "43");
  self->send_exit(counter, caf::exit_reason::user_shutdown);
}

// Each of these ends the judge (fail): skipped here, run one per process (tests/judge).
TEST_CASE("a connection number past the bound ends the judge" * doctest::skip()) {
  auto lent = lend_run_space(judge_space());
  dca::bridge::call_subject("raw", encode_result(lent->id(), std::string{"redis"},
                                                 dca::bridge::relayed_connections_max + 1));
}

TEST_CASE("a connection used for two servers ends the judge" * doctest::skip()) {
  auto lent = lend_run_space(judge_space());
  dca::bridge::call_subject("raw",
                            encode_result(lent->id(), std::string{"redis"}, std::uint64_t{1}));
  dca::bridge::call_subject("raw",
                            encode_result(lent->id(), std::string{"primary"}, std::uint64_t{1}));
}

TEST_CASE("a run space no longer lent ends the judge" * doctest::skip()) {
  std::uint64_t id = 0;
  {
    auto lent = lend_run_space(judge_space());
    id = lent->id();
  }
  relayed_redis(id, "gone", {"PING"});
}
