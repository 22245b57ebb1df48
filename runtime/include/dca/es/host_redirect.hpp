// Where spawn_entity_host may be sent elsewhere: a judge's subject process (dca::bridge) installs
// a redirect so that a learner's spawn function, which spawns its entity host itself, gets a relay
// to the host the judge holds (its journal, its state) instead of a host of its own. Nothing else
// installs one: in normal builds and in the judge the redirect is empty and spawn_entity_host
// spawns the host as always.
#pragma once

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "dca/es/entity.hpp"

namespace dca::es {

/// Makes what spawn_entity_host returns for an entity type named `type_name` that the caller
/// asked for with `opts` (its journal stays unused: the redirect's owner holds the journal).
using host_redirect = std::function<caf::actor(caf::actor_system& sys, const std::string& type_name,
                                               const entity_options& opts)>;

namespace detail {

inline host_redirect& installed_host_redirect() {
  static host_redirect redirect;
  return redirect;
}

} // namespace detail

/// Sends every later spawn_entity_host in this process to `redirect` (empty: none). Install it
/// once, before any actor runs: it is read without a lock.
inline void redirect_entity_hosts(host_redirect redirect) {
  detail::installed_host_redirect() = std::move(redirect);
}

/// The installed redirect; empty unless a judge's subject installed one.
inline const host_redirect& entity_host_redirect() {
  return detail::installed_host_redirect();
}

} // namespace dca::es
