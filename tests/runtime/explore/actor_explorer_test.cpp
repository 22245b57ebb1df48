// Tests of the actor schedule explorer: it must find the lost update of a counter whose
// read-modify-write spans two messages, pass the correct counter on every schedule, report actors
// that wait for each other, and stay bounded and deterministic while doing so.
#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/message_table.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "caf/after.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"

using namespace dca::explore;

namespace {

using inc_atom = caf::atom_constant<caf::atom("inc")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using next_atom = caf::atom_constant<caf::atom("next")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

// -- helpers --------------------------------------------------------------------------------------

/// The seed of the random tests: DCA_SEED from the environment, or 42.
std::uint64_t test_seed() {
  const char* text = std::getenv("DCA_SEED");
  auto seed = text != nullptr ? std::strtoull(text, nullptr, 10) : std::uint64_t{42};
  MESSAGE("seed: " << seed << " (set DCA_SEED to repeat another)");
  return seed;
}

/// A schedule through its printed form and back, as a learner replays it from the command line.
schedule round_trip(const schedule& s) {
  auto parsed = schedule::parse(s.to_string());
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error());
  return *parsed;
}

std::vector<std::string> lines(const std::vector<step>& trace) {
  std::vector<std::string> result;
  for (auto& x : trace)
    result.push_back(std::to_string(x.actor) + " " + x.operation + " " + x.object + " " + x.value);
  return result;
}

std::string text(const report& r) {
  std::ostringstream out;
  print_table(out, r, "replay with");
  return out.str();
}

options systematic(int bound) {
  options opts;
  opts.preemptions_max = bound;
  return opts;
}

/// A random search of at most 200 schedules from the test seed.
options random_search() {
  auto opts = systematic(2);
  opts.search = strategy::random;
  opts.seed = test_seed();
  opts.schedules_max = 200;
  return opts;
}

// -- the counters ---------------------------------------------------------------------------------

struct counter_state {
  int value = 0;
};

/// The correct counter: an increment is one message, handled whole.
caf::behavior counter(caf::stateful_actor<counter_state>* self) {
  return {
      [=](inc_atom) { ++self->state.value; },
      [=](read_atom) { return self->state.value; },
      [=](write_atom, int x) { self->state.value = x; },
  };
}

/// Sends `n` increments, one per message to itself, so that other actors can run in between.
caf::behavior producer(caf::event_based_actor* self, caf::actor target, int n) {
  auto left = std::make_shared<int>(n);
  self->send(self, next_atom::value);
  return {[=](next_atom) {
    self->send(target, inc_atom::value);
    if (--*left > 0)
      self->send(self, next_atom::value);
  }};
}

/// The learner's mistake: reads the value in one message and writes value + 1 in another.
caf::behavior split_producer(caf::event_based_actor* self, caf::actor target, int n) {
  auto left = std::make_shared<int>(n);
  self->send(self, next_atom::value);
  return {[=](next_atom) {
    self->request(target, caf::infinite, read_atom::value).then([=](int value) {
      self->send(target, write_atom::value, value + 1);
      if (--*left > 0)
        self->send(self, next_atom::value);
    });
  }};
}

/// Two producers of `n` increments each against one counter; the check asks the counter.
actor_execution counting(int n, bool split) {
  auto target = std::make_shared<caf::actor>();
  actor_execution ex;
  ex.start = [=](actor_world& world) {
    auto& sys = world.system();
    *target = sys.spawn(counter);
    world.name(*target, "counter");
    for (auto name : {"producer1", "producer2"})
      world.name(split ? sys.spawn(split_producer, *target, n) : sys.spawn(producer, *target, n),
                 name);
  };
  ex.check = [=](actor_world& world) -> std::optional<std::string> {
    auto value = world.ask<int>(*target, read_atom::value);
    if (!value)
      return "counter did not answer: " + world.system().render(value.error());
    if (*value != 2 * n)
      return std::to_string(2 * n - *value) + " increments lost: counter is " +
             std::to_string(*value) + ", expected " + std::to_string(2 * n);
    return std::nullopt;
  };
  return ex;
}

// -- actors that wait -----------------------------------------------------------------------------

/// Handed its peer, asks it for a value and awaits the reply: handles nothing else meanwhile.
caf::behavior impatient(caf::event_based_actor* self, caf::duration timeout) {
  return {
      [=](caf::actor peer) { self->request(peer, timeout, read_atom::value).await([](int) {}); },
      [](read_atom) { return 1; },
  };
}

actor_execution mutual_await(caf::duration timeout) {
  actor_execution ex;
  ex.start = [=](actor_world& world) {
    auto alice = world.system().spawn(impatient, timeout);
    auto bob = world.system().spawn(impatient, timeout);
    world.name(alice, "alice");
    world.name(bob, "bob");
    caf::anon_send(alice, bob);
    caf::anon_send(bob, alice);
  };
  ex.check = [](actor_world&) -> std::optional<std::string> { return std::nullopt; };
  return ex;
}

struct sink_state {
  std::vector<caf::response_promise> unanswered;
};

/// Accepts every read and never answers it.
caf::behavior sink(caf::stateful_actor<sink_state>* self) {
  return {[=](read_atom) {
    self->state.unanswered.push_back(self->make_response_promise());
    return self->state.unanswered.back();
  }};
}

struct client_state {
  bool gave_up = false;
};

caf::behavior client(caf::stateful_actor<client_state>* self, caf::actor server,
                     caf::duration timeout) {
  self->request(server, timeout, read_atom::value)
      .await([](int) {}, [=](caf::error&) { self->state.gave_up = true; });
  return {[=](read_atom) { return self->state.gave_up; }};
}

actor_execution unanswered(caf::duration timeout) {
  auto asker = std::make_shared<caf::actor>();
  actor_execution ex;
  ex.start = [=](actor_world& world) {
    auto server = world.system().spawn(sink);
    world.name(server, "sink");
    *asker = world.system().spawn(client, server, timeout);
    world.name(*asker, "client");
  };
  ex.check = [=](actor_world& world) -> std::optional<std::string> {
    auto gave_up = world.ask<bool>(*asker, read_atom::value);
    if (!gave_up)
      return "client did not answer: " + world.system().render(gave_up.error());
    if (*gave_up)
      return "client gave up: its request timed out";
    return std::nullopt;
  };
  return ex;
}

// -- a lossy link: a retrying client and a charging server ----------------------------------------

using charge_atom = caf::atom_constant<caf::atom("charge")>;

struct till_state {
  std::map<int, int> charges; // by order
};

/// Charges every request; `idempotent`: an order charged already is answered, not charged again.
caf::behavior till(caf::stateful_actor<till_state>* self, bool idempotent) {
  return {[=](charge_atom, int order) {
            if (!idempotent || self->state.charges[order] == 0)
              ++self->state.charges[order];
            return order;
          },
          [=](read_atom) { return self->state.charges[17]; }};
}

struct buyer_state {
  int attempts = 0;
  bool answered = false;
};

/// Asks the till to charge order 17 and asks again when no answer comes in time (3 tries).
void charge_order(caf::stateful_actor<buyer_state>* self, caf::actor till) {
  ++self->state.attempts;
  self->request(till, std::chrono::seconds(1), charge_atom::value, 17)
      .then([=](int) { self->state.answered = true; },
            [=](caf::error&) {
              if (self->state.attempts < 3)
                charge_order(self, till);
            });
}

caf::behavior buyer(caf::stateful_actor<buyer_state>* self, caf::actor till) {
  charge_order(self, till);
  return {[=](read_atom) { return self->state.answered; }};
}

/// A buyer and a till; `lossy_buyer` / `lossy_till`: the faults allowed on the link into each.
actor_execution charging(bool idempotent, link_faults lossy_buyer, link_faults lossy_till) {
  auto till_handle = std::make_shared<caf::actor>();
  auto buyer_handle = std::make_shared<caf::actor>();
  actor_execution ex;
  ex.start = [=](actor_world& world) {
    *till_handle = world.system().spawn(till, idempotent);
    world.name(*till_handle, "till");
    *buyer_handle = world.system().spawn(buyer, *till_handle);
    world.name(*buyer_handle, "buyer");
    world.lossy(*buyer_handle, lossy_buyer);
    world.lossy(*till_handle, lossy_till);
  };
  ex.check = [=](actor_world& world) -> std::optional<std::string> {
    auto charges = world.ask<int>(*till_handle, read_atom::value).value();
    if (charges != 1)
      return "order 17 charged " + std::to_string(charges) + " times";
    if (!world.ask<bool>(*buyer_handle, read_atom::value).value())
      return "the buyer never heard back";
    return std::nullopt;
  };
  return ex;
}

/// Two actors that bounce a ping between them forever.
caf::behavior bouncer(caf::event_based_actor* self) {
  return {[=](ping_atom, caf::actor peer) {
    self->send(peer, ping_atom::value, caf::actor_cast<caf::actor>(self));
  }};
}

actor_execution endless_ping_pong() {
  actor_execution ex;
  ex.start = [](actor_world& world) {
    auto ping = world.system().spawn(bouncer);
    auto pong = world.system().spawn(bouncer);
    caf::anon_send(ping, ping_atom::value, pong);
  };
  ex.check = [](actor_world&) -> std::optional<std::string> { return std::nullopt; };
  return ex;
}

struct log_state {
  std::string order;
};

/// Appends every letter it gets; the order it got them in is the schedule's fingerprint.
caf::behavior log(caf::stateful_actor<log_state>* self) {
  return {
      [=](const std::string& letter) { self->state.order += letter; },
      [=](read_atom) { return self->state.order; },
  };
}

caf::behavior writer(caf::event_based_actor* self, caf::actor target, std::string letter, int n) {
  for (int i = 0; i < n; ++i)
    self->send(self, next_atom::value);
  return {[=](next_atom) { self->send(target, letter); }};
}

/// `letters.size()` writers append `n` letters each to one log; every order seen goes to `seen`.
std::function<actor_execution()> logging(std::shared_ptr<std::vector<std::string>> seen,
                                         std::vector<std::string> letters = {"a", "b", "c"},
                                         int n = 3) {
  return [=] {
    auto target = std::make_shared<caf::actor>();
    actor_execution ex;
    ex.start = [=](actor_world& world) {
      *target = world.system().spawn(log);
      for (auto& letter : letters)
        world.system().spawn(writer, *target, letter, n);
    };
    ex.check = [=](actor_world& world) -> std::optional<std::string> {
      seen->push_back(world.ask<std::string>(*target, read_atom::value).value());
      return std::nullopt;
    };
    return ex;
  };
}

} // namespace

struct sleeper_state {
  int pings = 0;
  int idle_timeouts = 0;
};

/// Sends itself a ping a second later, and notes when it has been idle for five seconds.
caf::behavior sleeper(caf::stateful_actor<sleeper_state>* self) {
  auto report = [=](read_atom) {
    return "pings=" + std::to_string(self->state.pings) +
           " idle=" + std::to_string(self->state.idle_timeouts);
  };
  self->delayed_send(self, std::chrono::seconds(1), ping_atom::value);
  return {
      [=](ping_atom) { ++self->state.pings; },
      report,
      caf::after(std::chrono::seconds(5)) >>
          [=] {
            ++self->state.idle_timeouts;
            self->become(report); // no timeout any more: the actor can go quiet
          },
  };
}

actor_execution sleeping() {
  auto target = std::make_shared<caf::actor>();
  actor_execution ex;
  ex.start = [=](actor_world& world) {
    *target = world.system().spawn(sleeper);
    world.name(*target, "sleeper");
  };
  ex.check = [=](actor_world& world) -> std::optional<std::string> {
    auto seen = world.ask<std::string>(*target, read_atom::value);
    if (!seen || *seen != "pings=1 idle=1")
      return "sleeper saw " + (seen ? *seen : world.system().render(seen.error()));
    return std::nullopt;
  };
  return ex;
}

/// A client whose request (with a timeout) the counter answers in time.
actor_execution answered() {
  auto asker = std::make_shared<caf::actor>();
  actor_execution ex;
  ex.start = [=](actor_world& world) {
    auto server = world.system().spawn(counter);
    *asker = world.system().spawn(client, server, caf::duration{std::chrono::seconds(1)});
  };
  ex.check = [=](actor_world& world) -> std::optional<std::string> {
    if (world.ask<bool>(*asker, read_atom::value).value())
      return "client gave up";
    return std::nullopt;
  };
  return ex;
}

std::vector<std::string> operations(const report& r) {
  std::vector<std::string> result;
  for (auto& x : r.trace)
    result.push_back(x.operation);
  return result;
}

// -- the tests ------------------------------------------------------------------------------------

TEST_CASE("a correct counter is clean on every schedule within the bound") {
  auto r = explore_actors([] { return counting(3, false); }, systematic(2));
  INFO(text(r));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.schedules_explored > 1);
  CHECK(r.trace.empty());
  CHECK(r.actors == std::vector<std::string>{"counter", "producer1", "producer2"});
  MESSAGE("correct counter: " << r.schedules_explored << " schedules within 2 preemptions");
}

TEST_CASE("a larger preemption bound explores more schedules and a limit stops the search") {
  auto make = [] { return counting(2, false); };
  auto none = explore_actors(make, systematic(0));
  auto one = explore_actors(make, systematic(1));
  auto two = explore_actors(make, systematic(2));
  CHECK(none.schedules_explored == 1);
  CHECK(none.search_exhausted);
  CHECK(one.schedules_explored > none.schedules_explored);
  CHECK(two.schedules_explored > one.schedules_explored);
  CHECK(two.search_exhausted);
  auto opts = systematic(2);
  opts.schedules_max = 3;
  auto capped = explore_actors(make, opts);
  CHECK(capped.schedules_explored == 3);
  CHECK_FALSE(capped.search_exhausted);
  CHECK(capped.result == outcome::clean);
  MESSAGE("schedules explored at bounds 0, 1, 2: " << none.schedules_explored << ", "
                                                   << one.schedules_explored << ", "
                                                   << two.schedules_explored);
}

TEST_CASE("a split read-modify-write counter is caught with the lost increments named") {
  auto r = explore_actors([] { return counting(2, true); }, systematic(2));
  MESSAGE("split counter: " << text(r));
  REQUIRE(r.result == outcome::invariant_broken);
  CHECK(r.verdict.find("increments lost: counter is") != std::string::npos);
  CHECK_FALSE(r.failing_schedule.empty());
  CHECK(r.trace.size() == r.failing_schedule.size());
  CHECK(r.actors == std::vector<std::string>{"counter", "producer1", "producer2"});
  for (std::size_t i = 0; i < r.trace.size(); ++i)
    CHECK(r.trace[i].actor == r.failing_schedule.choices()[i]);
  CHECK(r.trace.front().operation == "start");
}

TEST_CASE("the failing schedule of the split counter replays to the identical trace") {
  auto make = [] { return counting(2, true); };
  auto found = explore_actors(make, systematic(2));
  REQUIRE(found.result == outcome::invariant_broken);
  auto opts = systematic(2);
  opts.replay = round_trip(found.failing_schedule);
  auto again = explore_actors(make, opts);
  CHECK(again.result == outcome::invariant_broken);
  CHECK(again.verdict == found.verdict);
  CHECK(again.schedules_explored == 1);
  CHECK(again.failing_schedule == found.failing_schedule);
  CHECK(lines(again.trace) == lines(found.trace));
}

TEST_CASE("a replayed schedule that names an idle actor is reported, not followed") {
  auto opts = systematic(2);
  opts.replay = schedule{std::vector<int>(16, 2)};
  auto r = explore_actors([] { return counting(1, false); }, opts);
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict == "the schedule does not match this scenario: at step 3, actor 2 has nothing to "
                     "do");
  opts.replay = schedule{};
  auto fifo = explore_actors([] { return counting(1, false); }, opts).failing_schedule;
  fifo.choices().push_back(0);
  opts.replay = fifo;
  r = explore_actors([] { return counting(1, false); }, opts);
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict == "the schedule does not match this scenario: it has " +
                         std::to_string(fifo.size()) + " steps, but the run ended after " +
                         std::to_string(fifo.size() - 1) + " (clean)");
}

TEST_CASE("a scenario that is not deterministic is reported as such") {
  // Each execution sends one more increment than the last: no schedule repeats.
  auto executions = std::make_shared<int>(0);
  auto r = explore_actors([executions] { return counting(++*executions, false); }, systematic(2));
  INFO(r.verdict);
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict.find("not deterministic") != std::string::npos);
}

TEST_CASE("random search with a fixed seed is repeatable") {
  auto opts = random_search();
  auto seed = opts.seed;
  auto make = [] { return counting(2, true); };
  auto first = explore_actors(make, opts);
  auto second = explore_actors(make, opts);
  INFO(text(first));
  CHECK(first.result == outcome::invariant_broken);
  REQUIRE(first.seed.has_value());
  CHECK(*first.seed == seed);
  CHECK(second.result == first.result);
  CHECK(second.verdict == first.verdict);
  CHECK(second.schedules_explored == first.schedules_explored);
  CHECK(second.failing_schedule == first.failing_schedule);
  CHECK(lines(second.trace) == lines(first.trace));
}

TEST_CASE("random search explores the same schedules for one seed and others for another") {
  auto seed = test_seed();
  auto run = [](std::uint64_t s) {
    auto seen = std::make_shared<std::vector<std::string>>();
    auto opts = systematic(2);
    opts.search = strategy::random;
    opts.seed = s;
    opts.schedules_max = 30;
    auto r = explore_actors(logging(seen), opts);
    CHECK(r.result == outcome::clean);
    CHECK(r.schedules_explored == 30);
    CHECK_FALSE(r.search_exhausted);
    return *seen;
  };
  auto first = run(seed);
  auto again = run(seed);
  auto other = run(seed + 1);
  REQUIRE(first.size() == 30);
  CHECK(again == first);
  CHECK(other != first);
  std::sort(first.begin(), first.end());
  auto distinct = std::unique(first.begin(), first.end()) - first.begin();
  CHECK(distinct > 1);
  MESSAGE("distinct log orders among 30 random schedules: " << distinct);
}

TEST_CASE("an unbounded systematic search sees every order in which messages can arrive") {
  auto seen = std::make_shared<std::vector<std::string>>();
  auto r = explore_actors(logging(seen, {"a", "b"}, 2), systematic(-1));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  std::sort(seen->begin(), seen->end());
  seen->erase(std::unique(seen->begin(), seen->end()), seen->end());
  CHECK(*seen == std::vector<std::string>{"aabb", "abab", "abba", "baab", "baba", "bbaa"});
  MESSAGE("unbounded search: " << r.schedules_explored << " schedules, 6 distinct log orders");
  seen->clear();
  explore_actors(logging(seen, {"a", "b"}, 2), systematic(0));
  CHECK(seen->size() == 1);
}

TEST_CASE("a mutual await between two actors is reported as a deadlock cycle") {
  auto r = explore_actors([] { return mutual_await(caf::infinite); }, systematic(2));
  INFO(text(r));
  REQUIRE(r.result == outcome::deadlock);
  CHECK(r.cycle == std::vector<std::string>{"alice waits for a reply from bob",
                                            "bob waits for a reply from alice"});
  CHECK(r.schedules_explored == 1);
}

TEST_CASE("a mutual await is a deadlock even when its request timeouts would break it") {
  auto r = explore_actors([] { return mutual_await(caf::duration{std::chrono::seconds(1)}); },
                          systematic(2));
  INFO(text(r));
  REQUIRE(r.result == outcome::deadlock);
  CHECK(r.cycle.size() == 2);
}

TEST_CASE("a request nobody answers times out in virtual time as a step of its own") {
  auto make = [] { return unanswered(caf::duration{std::chrono::seconds(1)}); };
  auto r = explore_actors(make, systematic(2));
  INFO(text(r));
  REQUIRE(r.result == outcome::invariant_broken);
  CHECK(r.verdict == "client gave up: its request timed out");
  auto timeouts = std::count_if(r.trace.begin(), r.trace.end(),
                                [](const step& x) { return x.operation == "timeout"; });
  CHECK(timeouts == 1);
  auto opts = systematic(2);
  opts.replay = r.failing_schedule;
  CHECK(lines(explore_actors(make, opts).trace) == lines(r.trace));
}

TEST_CASE("a request nobody answers without a timeout leaves its actor stuck") {
  auto r = explore_actors([] { return unanswered(caf::infinite); }, systematic(2));
  INFO(text(r));
  REQUIRE(r.result == outcome::deadlock);
  CHECK(r.cycle == std::vector<std::string>{"client waits for a reply from sink"});
}

TEST_CASE("a request answered in time leaves no timeout step behind") {
  auto make = [] { return answered(); };
  auto r = explore_actors(make, systematic(2));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  auto opts = systematic(2);
  opts.replay = schedule{}; // the FIFO schedule, traced
  auto fifo = explore_actors(make, opts);
  INFO(text(fifo));
  CHECK(fifo.result == outcome::clean);
  auto ops = operations(fifo);
  CHECK(std::count(ops.begin(), ops.end(), "timeout") == 0);
  // The stale timeout is still pending when the last step is taken: it must not count as one.
  opts.steps_max = fifo.trace.size();
  CHECK(explore_actors(make, opts).result == outcome::clean);
}

TEST_CASE("delayed messages and receive timeouts fire in virtual time once the actors are idle") {
  auto make = [] { return sleeping(); };
  auto r = explore_actors(make, systematic(2));
  INFO(text(r));
  CHECK(r.result == outcome::clean);
  auto opts = systematic(2);
  opts.replay = schedule{};
  auto fifo = explore_actors(make, opts);
  INFO(text(fifo));
  REQUIRE(operations(fifo) ==
          std::vector<std::string>{"start", "timeout", "handle", "timeout", "handle"});
  CHECK(fifo.trace[1].object == "delayed ping");
  CHECK(fifo.trace[2].object == "ping from sleeper");
  CHECK(fifo.trace[3].object == "receive timeout");
  CHECK(fifo.trace[4].object == "receive timeout");
  CHECK(fifo.actors == std::vector<std::string>{"sleeper"});
}

TEST_CASE("a ping-pong that never ends stops at steps_max") {
  auto opts = systematic(2);
  opts.steps_max = 50;
  auto r = explore_actors(endless_ping_pong, opts);
  REQUIRE(r.result == outcome::step_limit);
  CHECK(r.trace.size() == 50);
  CHECK(r.failing_schedule.size() == 50);
  CHECK(r.verdict.find("50 steps") != std::string::npos);
  CHECK(r.actors == std::vector<std::string>{"actor#0", "actor#1"});
}

TEST_CASE("an exception from start or check is reported as a crash") {
  auto throwing_start = [] {
    actor_execution ex;
    ex.start = [](actor_world&) { throw std::runtime_error("start failed"); };
    return ex;
  };
  auto r = explore_actors(throwing_start, systematic(2));
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict == "start failed");
  auto asking_in_start = [] {
    actor_execution ex;
    ex.start = [](actor_world& world) {
      auto c = world.system().spawn(counter);
      static_cast<void>(world.ask<int>(c, read_atom::value));
    };
    return ex;
  };
  r = explore_actors(asking_in_start, systematic(2));
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict.find("ask is for check()") != std::string::npos);
}

TEST_CASE("exploration speed is reported for the counter case") {
  auto opts = systematic(3);
  auto r = explore_actors([] { return counting(3, false); }, opts);
  CHECK(r.result == outcome::clean);
  auto seconds = std::chrono::duration<double>(r.elapsed).count();
  MESSAGE("counter, 2 producers x 3 increments, bound 3: "
          << r.schedules_explored << " schedules in " << seconds
          << " s = " << r.schedules_explored / seconds << " schedules/s");
}

// The rules both explorers share (see search.cpp); explorer_test.cpp states the same ones.

TEST_CASE("a negative bound means no bound: the actor explorer tries every schedule") {
  auto explored = [](int bound) {
    auto r = explore_actors([] { return counting(1, false); }, systematic(bound));
    CHECK(r.result == outcome::clean);
    CHECK(r.search_exhausted);
    return r.schedules_explored;
  };
  auto unbounded = explored(-1);
  CHECK(explored(-7) == unbounded);
  CHECK(explored(100) == unbounded);
  CHECK(explored(0) < unbounded);
  MESSAGE("every schedule of one increment each: " << unbounded);
}

TEST_CASE("a random schedule of the actor explorer replays alone from its printed replay") {
  auto make = [] { return counting(2, true); };
  auto found = explore_actors(make, random_search());
  INFO(text(found));
  REQUIRE(found.failed());
  auto again = systematic(2);
  again.replay = round_trip(found.failing_schedule);
  auto replayed = explore_actors(make, again);
  CHECK(replayed.result == found.result);
  CHECK(replayed.verdict == found.verdict);
  CHECK(replayed.failing_schedule == found.failing_schedule);
  CHECK(lines(replayed.trace) == lines(found.trace));
}

TEST_CASE("a lost reply is a choice of the schedule: the retry charges twice, and the failing "
          "schedule names the lost reply and replays it") {
  auto make = [] { return charging(false, link_faults{1, 0}, link_faults{0, 0}); };
  auto r = explore_actors(make, systematic(2));
  INFO(text(r));
  REQUIRE(r.result == outcome::invariant_broken);
  CHECK(r.verdict == "order 17 charged 2 times");
  CHECK(r.failing_schedule.to_string().find("d1") != std::string::npos);
  auto ops = lines(r.trace);
  CHECK(std::count(ops.begin(), ops.end(), "1 lose reply 17 from till ") == 1);
  CHECK(std::count(ops.begin(), ops.end(), "1 timeout no reply from till ") == 1);
  auto again = systematic(2);
  again.replay = round_trip(r.failing_schedule);
  CHECK(lines(explore_actors(make, again).trace) == lines(r.trace));
  // PCT reaches it too: a fault is one more choice for every strategy of the search.
  CHECK(explore_actors(make, random_search()).verdict == r.verdict);
}

TEST_CASE("a turn offers a lossy link's fault as a choice beside the delivery, and a turn that "
          "ends where a timeout fires offers the timeout, not yet run") {
  auto make = [] { return charging(false, link_faults{1, 0}, link_faults{0, 0}); };
  auto found = explore_actors(make, systematic(2));
  REQUIRE(found.result == outcome::invariant_broken);
  const auto& failing = found.failing_schedule.choices();
  auto lost = std::find(failing.begin(), failing.end(), drop_choice(1));
  REQUIRE(lost != failing.end());
  auto turn_after = [&](std::vector<int> prefix) {
    auto opts = systematic(2);
    opts.turn_after = schedule{std::move(prefix)};
    return explore_actors(make, opts);
  };
  auto before_fault = turn_after({failing.begin(), lost});
  INFO(text(before_fault));
  REQUIRE(before_fault.result == outcome::clean);
  REQUIRE(before_fault.choices.size() == 2);
  CHECK(lines(before_fault.choices) ==
        std::vector<std::string>{"1 handle reply 17 from till ", "1 lose reply 17 from till "});
  std::vector<int> through_fault{failing.begin(), lost + 1};
  auto before_timeout = turn_after(through_fault);
  INFO(text(before_timeout));
  REQUIRE(before_timeout.result == outcome::clean); // the runs of one prefix repeat
  CHECK(before_timeout.trace.size() == through_fault.size());
  CHECK(lines(before_timeout.choices) == std::vector<std::string>{"1 timeout no reply from till "});
}

TEST_CASE("a request delivered twice charges twice, and a link with no faults allowed never "
          "loses anything") {
  auto twice = explore_actors([] { return charging(false, {0, 0}, {0, 1}); }, systematic(2));
  INFO(text(twice));
  REQUIRE(twice.result == outcome::invariant_broken);
  CHECK(twice.failing_schedule.to_string().find("t0") != std::string::npos);
  auto reliable = explore_actors([] { return charging(false, {0, 0}, {0, 0}); }, systematic(-1));
  CHECK(reliable.result == outcome::clean);
  CHECK(reliable.search_exhausted);
}

TEST_CASE("an idempotent till is clean on every schedule with a lost and a duplicated message on "
          "each link") {
  auto make = [] { return charging(true, {1, 1}, {1, 1}); };
  auto r = explore_actors(make, systematic(-1));
  INFO(text(r));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  MESSAGE("every schedule with up to four faults: " << r.schedules_explored);
  auto faultless = explore_actors([] { return charging(true, {0, 0}, {0, 0}); }, systematic(-1));
  CHECK(r.schedules_explored > faultless.schedules_explored);
}

// -- the messages of a run, read off its trace (message_table.hpp) --------------------------------

namespace {

/// The step `n` (counting from 1) of `r`'s trace as `lines` writes it.
std::string step_line(const report& r, std::size_t n) {
  REQUIRE(n >= 1);
  REQUIRE(n <= r.trace.size());
  return lines({r.trace[n - 1]}).front();
}

} // namespace

TEST_CASE("a run with a lost reply lists its messages: the charge handled, the reply lost at the "
          "step that names the fault, the charge sent again and its reply handled") {
  auto r = explore_actors(
      [] {
        return charging(false, link_faults{1, 0}, link_faults{0, 0});
      },
      systematic(2));
  INFO(text(r));
  REQUIRE(r.result == outcome::invariant_broken);
  REQUIRE(has_link_faults(r));
  auto rows = message_rows(r);
  REQUIRE(rows.size() == 4);
  const int till = 0, buyer = 1; // in the order they were spawned
  for (std::size_t i : {0, 2}) {
    CHECK(rows[i].message == "charge 17");
    CHECK((rows[i].from == buyer && rows[i].to == till));
    CHECK(rows[i].fate == message_fate::delivered);
    REQUIRE(rows[i].handled_at.size() == 1);
    CHECK(step_line(r, rows[i].handled_at[0]) == "0 handle charge 17 from buyer ");
    CHECK(rows[i].sent_at < rows[i].handled_at[0]);
  }
  CHECK(rows[1].message == "reply 17");
  CHECK((rows[1].from == till && rows[1].to == buyer));
  CHECK(rows[1].fate == message_fate::lost);
  CHECK(rows[1].handled_at.empty());
  CHECK(step_line(r, rows[1].fault_at) == "1 lose reply 17 from till ");
  CHECK(rows[1].fault_choice() == "d1");
  CHECK(r.failing_schedule.to_string().find("d1") != std::string::npos);
  CHECK(rows[3].fate == message_fate::delivered);
  // The table for people says the same, next to the steps and the replay.
  auto table = text(r);
  CHECK(table.find("LOST at step " + std::to_string(rows[1].fault_at) + " (d1 in the schedule)") !=
        std::string::npos);
  CHECK(table.find("per actor: till sent 2, handled 2; buyer sent 2, handled 1, 1 lost on the way "
                   "in") != std::string::npos);
}

TEST_CASE("a request delivered twice is one message handled twice, and a run whose links lost and "
          "repeated nothing has no message table") {
  auto twice = explore_actors([] { return charging(false, {0, 0}, {0, 1}); }, systematic(2));
  INFO(text(twice));
  REQUIRE(twice.result == outcome::invariant_broken);
  auto rows = message_rows(twice);
  auto repeated = std::find_if(rows.begin(), rows.end(), [](const message_row& m) {
    return m.fate == message_fate::duplicated;
  });
  REQUIRE(repeated != rows.end());
  CHECK(repeated->message == "charge 17");
  CHECK(repeated->fault_choice() == "t0");
  REQUIRE(repeated->handled_at.size() == 2);
  CHECK(repeated->fault_at < repeated->handled_at[0]);
  CHECK(text(twice).find("REPEATED at step " + std::to_string(repeated->fault_at)) !=
        std::string::npos);
  auto split = explore_actors([] { return counting(2, true); }, systematic(2));
  REQUIRE(split.result == outcome::invariant_broken);
  CHECK_FALSE(has_link_faults(split));
  CHECK(text(split).find("messages between the actors") == std::string::npos);
}

TEST_CASE("a failing run between nodes has the message table even when no link lost anything") {
  auto nodes = explore_actors(
      [] {
        auto ex = counting(2, true);
        auto start = ex.start;
        ex.start = [start](actor_world& world) {
          start(world);
          world.between_nodes();
        };
        return ex;
      },
      systematic(2));
  REQUIRE(nodes.result == outcome::invariant_broken);
  CHECK(nodes.between_nodes);
  CHECK_FALSE(has_link_faults(nodes));
  CHECK(shows_message_table(nodes));
  auto rows = message_rows(nodes);
  REQUIRE_FALSE(rows.empty());
  CHECK(std::all_of(rows.begin(), rows.end(),
                    [](const message_row& m) { return m.fate != message_fate::lost; }));
  CHECK(text(nodes).find("messages between the actors") != std::string::npos);
}
