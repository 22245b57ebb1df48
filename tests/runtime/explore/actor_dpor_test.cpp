// Tests of DPOR over actors: a step is described by the mailboxes it touches, so two deliveries to
// one mailbox are ordered both ways and handlers of different actors commute. The proof is that
// DPOR reaches every final state an unbounded search reaches, on programs with relays, requests,
// spawns inside handlers and monitors, while running far fewer schedules.
#include "dca/explore/actor_explorer.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/system_messages.hpp"

using namespace dca::explore;

namespace {

using log_atom = caf::atom_constant<caf::atom("log")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct sink_state {
  std::string log;
};

/// Appends what it is told to its log, and answers `get` with the log so far.
caf::behavior sink(caf::stateful_actor<sink_state>* self) {
  return {
      [=](log_atom, const std::string& x) { self->state.log += x; },
      [=](get_atom) { return self->state.log; },
  };
}

/// Forwards each word to `to`, prefixed with `prefix`.
caf::behavior relay(caf::event_based_actor* self, caf::actor to, std::string prefix) {
  return {[=](log_atom, const std::string& x) { self->send(to, log_atom::value, prefix + x); }};
}

/// Sends each (target, word) pair at start-up, then quits.
caf::behavior source(caf::event_based_actor* self,
                     std::vector<std::pair<caf::actor, std::string>> sends) {
  for (auto& [to, word] : sends)
    self->send(to, log_atom::value, word);
  return {};
}

/// A program and the final states its schedules reach: `programs` builds the actors of one
/// execution; the final state is the log of every sink, in spawn order.
using program = std::function<std::vector<caf::actor>(caf::actor_system&)>;

struct outcomes {
  std::set<std::string> states;
  report searched;
};

outcomes explore_outcomes(const program& build, options opts) {
  auto states = std::make_shared<std::set<std::string>>();
  auto make = [&build, states] {
    auto sinks = std::make_shared<std::vector<caf::actor>>();
    actor_execution ex;
    ex.start = [&build, sinks](actor_world& world) { *sinks = build(world.system()); };
    ex.check = [sinks, states](actor_world& world) -> std::optional<std::string> {
      std::string state;
      for (auto& s : *sinks) {
        auto log = world.ask<std::string>(s, get_atom::value);
        state += (log ? *log : "?") + "|";
      }
      states->insert(state);
      return std::nullopt;
    };
    return ex;
  };
  outcomes out;
  out.searched = explore_actors(make, opts);
  out.states = *states;
  return out;
}

options unbounded(strategy s) {
  options opts;
  opts.search = s;
  opts.preemptions_max = -1;
  opts.schedules_max = 2'000'000;
  opts.time_limit = std::chrono::minutes{5}; // the full search is the slow one, under TSan most
  return opts;
}

/// Runs both searches over `build` and checks that DPOR proved what the full search saw.
void check_dpor_covers(const program& build, std::size_t states_expected) {
  auto all = explore_outcomes(build, unbounded(strategy::systematic));
  auto reduced = explore_outcomes(build, unbounded(strategy::dpor));
  REQUIRE(all.searched.search_exhausted);
  REQUIRE(reduced.searched.search_exhausted);
  CHECK(all.states.size() == states_expected);
  CHECK(reduced.states == all.states);
  CHECK(reduced.searched.classes_explored < all.searched.schedules_explored);
  CHECK(reduced.searched.interleavings_naive >= reduced.searched.classes_explored);
  MESSAGE("final states: " << all.states.size() << "; unbounded search "
                           << all.searched.schedules_explored << " schedules, DPOR "
                           << reduced.searched.classes_explored << " classes ("
                           << reduced.searched.schedules_explored << " schedules), "
                           << reduced.searched.interleavings_naive << " interleavings");
}

} // namespace

TEST_CASE("two sources delivering to one sink are ordered both ways, and nothing else is") {
  program build = [](caf::actor_system& sys) {
    auto s = sys.spawn(sink);
    sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{s, "a"}, {s, "b"}});
    sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{s, "c"}});
    return std::vector<caf::actor>{s};
  };
  auto reduced = explore_outcomes(build, unbounded(strategy::dpor));
  CHECK(reduced.states == std::set<std::string>{"abc|", "cab|"});
  CHECK(reduced.searched.classes_explored == 2);
  check_dpor_covers(build, 2);
}

TEST_CASE("DPOR over actors reaches every final state of relays racing a direct sender") {
  check_dpor_covers(
      [](caf::actor_system& sys) {
        auto s = sys.spawn(sink);
        auto r1 = sys.spawn(relay, s, "r");
        sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{r1, "x"}, {s, "a"}});
        sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{r1, "z"}, {s, "b"}});
        return std::vector<caf::actor>{s};
      },
      4); // either source first; the first relayed word before or after the other source's word
}

TEST_CASE("DPOR over actors reaches every answer of a request racing a delivery") {
  check_dpor_covers(
      [](caf::actor_system& sys) {
        auto s = sys.spawn(sink);
        auto copy = sys.spawn(sink);
        // Asks `s` for its log and writes the answer into `copy`: what it sees depends on whether
        // the source's words reached `s` first.
        sys.spawn([s, copy](caf::event_based_actor* self) {
          self->request(s, caf::infinite, get_atom::value).then([=](const std::string& seen) {
            self->send(copy, log_atom::value, "<" + seen + ">");
          });
        });
        sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{s, "a"}, {s, "b"}});
        return std::vector<caf::actor>{s, copy};
      },
      2); // "<>" or "<ab>": the source sends both words in one step
}

TEST_CASE("DPOR over actors orders what an actor spawned inside a handler sends") {
  check_dpor_covers(
      [](caf::actor_system& sys) {
        auto s = sys.spawn(sink);
        auto spawner = sys.spawn([s](caf::event_based_actor* self) -> caf::behavior {
          return {[=](log_atom, const std::string& x) {
            self->spawn(source, std::vector<std::pair<caf::actor, std::string>>{{s, x + x}});
          }};
        });
        sys.spawn(source,
                  std::vector<std::pair<caf::actor, std::string>>{{spawner, "k"}, {s, "a"}});
        sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{s, "b"}});
        return std::vector<caf::actor>{s};
      },
      3); // "kk" comes after "a", which was sent with "k"; "b" anywhere
}

TEST_CASE("DPOR over actors orders a down message against the other deliveries") {
  check_dpor_covers(
      [](caf::actor_system& sys) {
        auto s = sys.spawn(sink);
        auto quitter = sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{s, "a"}});
        sys.spawn([s, quitter](caf::event_based_actor* self) -> caf::behavior {
          self->monitor(quitter);
          self->set_down_handler(
              [=](const caf::down_msg&) { self->send(s, log_atom::value, std::string{"d"}); });
          return {[](log_atom, const std::string&) {}};
        });
        sys.spawn(source, std::vector<std::pair<caf::actor, std::string>>{{s, "b"}});
        return std::vector<caf::actor>{s};
      },
      3);
}
