// An entity host that a learner's spawn function asks for and the judge holds. In exercises 09
// and 10 the learner's file spawns the dca::es host itself and then a service actor holding it.
// Judged, the subject's spawn_entity_host is redirected (dca/es/host_redirect.hpp): it records the
// entity type and the options the learner's code chose and returns a relay to an actor of the
// judge's (numbered before the function runs: spawn_stand_in_making). The judge then spawns the
// real host with those options over a journal of its own, its decide and apply calling the
// learner's (entity_functions.hpp). So the ledger's state, what was appended and when each command
// is handled are the judge's; the service's requests of its host, with the key or sender stamp it
// gave each command, cross as the learner's actor sent them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/stand_in.hpp"
#include "dca/bridge/subject_host.hpp"
#include "dca/bridge/wire.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/host_redirect.hpp"
#include "dca/es/memory_journal.hpp"

namespace dca::bridge {

namespace detail {

/// The name under which the subject says which hosts its last spawn function asked for.
inline const char* host_requests_function = "entity_hosts.asked";

/// entity_options as they cross: each field, durations in milliseconds, the gap policy's number.
inline std::vector<char> encoded_options(const std::string& type_name,
                                         const dca::es::entity_options& o) {
  return encoded(type_name, static_cast<std::uint64_t>(o.pending_commands_max),
                 static_cast<std::int64_t>(o.idle_timeout.count()),
                 static_cast<std::int64_t>(o.hibernate_after.count()),
                 static_cast<std::uint64_t>(o.recoveries_max),
                 static_cast<std::uint64_t>(o.replay_batch_max),
                 static_cast<std::uint64_t>(o.snapshot_every),
                 static_cast<std::uint64_t>(o.idempotency_keys_max),
                 static_cast<std::uint8_t>(o.gaps), o.sender_window_max);
}

/// What the subject's redirect saw during one spawn function: each host asked for, encoded
/// (encoded_options), and the relay the first one gets.
struct host_requests {
  caf::actor relay;
  std::vector<std::vector<char>> asked;
};

inline host_requests& subject_host_requests() {
  static host_requests requests;
  return requests;
}

/// The judge's reading of one host request: the options, or a line saying what is wrong with them.
inline std::string decode_options(const std::vector<char>& bytes, const char* type_name,
                                  dca::es::entity_options& o) {
  std::string asked_type;
  std::uint64_t pending = 0, recoveries = 0, batch = 0, snapshots = 0, keys = 0;
  std::int64_t idle_ms = 0, hibernate_ms = 0;
  std::uint8_t gaps = 0;
  if (dca::es::decode(bytes, asked_type, pending, idle_ms, hibernate_ms, recoveries, batch,
                      snapshots, keys, gaps, o.sender_window_max))
    return "its entity host's options do not decode";
  if (asked_type != type_name)
    return "it spawned an entity host of type " + asked_type + ", not " + type_name;
  if (pending == 0 || recoveries == 0 || batch == 0 || idle_ms < 0 || hibernate_ms < 0 ||
      gaps > static_cast<std::uint8_t>(dca::es::gap_policy::refuse))
    return "it gave its entity host options spawn_entity_host does not accept";
  o.pending_commands_max = pending;
  o.idle_timeout = std::chrono::milliseconds{idle_ms};
  o.hibernate_after = std::chrono::milliseconds{hibernate_ms};
  o.recoveries_max = recoveries;
  o.replay_batch_max = batch;
  o.snapshot_every = snapshots;
  o.idempotency_keys_max = keys;
  o.gaps = static_cast<dca::es::gap_policy>(gaps);
  return {};
}

} // namespace detail

// -- the judge's side -----------------------------------------------------------------------------

/// Spawns the stand-in for the learner's service `kind`, whose spawn function spawns one entity
/// host of type E: the judge spawns that host in `sys`, with the options the learner's code gave
/// it, over a memory journal of the judge's, and the learner's service talks to it through a
/// relay. A spawn function that asks for no host, or for more than one, ends the judge (fail).
template <class E>
caf::actor spawn_stand_in_over_host(caf::actor_system& sys, std::string kind) {
  return spawn_stand_in_making(sys, kind, [&sys, &kind] {
    std::vector<std::vector<char>> asked;
    if (dca::es::decode(call_subject(detail::host_requests_function, {}), asked))
      fail_subject("the submission's subject said something that is not its host requests");
    auto words = "the submission's spawn function for \"" + kind + "\" ";
    if (asked.size() != 1)
      fail_subject(words + "spawned " + std::to_string(asked.size()) +
                   " entity hosts with dca::es::spawn_entity_host: the judge holds exactly one, "
                   "the one the service must use");
    dca::es::entity_options opts;
    if (auto wrong = detail::decode_options(asked.front(), E::type_name, opts); !wrong.empty())
      fail_subject(words + wrong);
    // The stand-in holds it, as the learner's service holds its host in the subject: entities
    // hold their host weakly, and a host nobody holds stops at once.
    return dca::es::spawn_entity_host<E>(sys, std::make_shared<dca::es::memory_journal>(), opts);
  });
}

// -- the subject's side ---------------------------------------------------------------------------

/// The subject's factory for a learner's spawn function that spawns its entity host itself: the
/// judge passes the relay of its host, which the function's spawn_entity_host returns (the first
/// it makes; any other gets a null actor, and the judge refuses the spawn).
inline actor_factory over_judge_host(caf::actor (*spawn)(caf::actor_system&)) {
  return [spawn](caf::actor_system& sys, const caf::message& args) {
    if (!args.match_elements<caf::actor>())
      return caf::actor{};
    auto& requests = detail::subject_host_requests();
    requests.relay = args.get_as<caf::actor>(0);
    requests.asked.clear();
    auto service = spawn(sys);
    requests.relay = caf::actor{};
    return service;
  };
}

/// Installs the subject's redirect of spawn_entity_host and serves what it recorded to the
/// judge (spawn_stand_in_over_host). Call it in the subject's main, before subject_main.
inline void serve_entity_hosts(function_table& functions) {
  dca::es::redirect_entity_hosts(
      [](caf::actor_system&, const std::string& type_name, const dca::es::entity_options& opts) {
        auto& requests = detail::subject_host_requests();
        requests.asked.push_back(detail::encoded_options(type_name, opts));
        return std::exchange(requests.relay, caf::actor{});
      });
  functions[detail::host_requests_function] = [](const std::vector<char>&) {
    return detail::encoded(std::exchange(detail::subject_host_requests().asked, {}));
  };
}

} // namespace dca::bridge
