// Exercise 08, replica lag: the contract both tracks implement. A profile lives in PostgreSQL; the
// application writes to the primary and spreads its reads over the primary and a streaming replica
// that replays the primary's log a little later. A session that renames its profile and then
// shows it may read the name it just replaced (a read-your-writes violation), and a later read may
// be older than an earlier one (a monotonic-read violation). With message passing the profile has
// one owner, an entity; the views that serve reads are its projections, and a session that
// carries the journal position of what it has seen gets nothing older.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/es/entity.hpp"
#include "dca/es/journal.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/services/scratch.hpp"

namespace replica_lag {

/// Every profile's name before the first rename; the profile is then at version 1.
constexpr const char* name_before = "ada";

/// The name a session gives its profile in round `round`.
std::string name_in_round(std::int64_t round);

// -- what a session saw, and the two session guarantees -------------------------------------------

/// One thing a session saw: its own write of a version, or a read of one (and from where).
struct observation {
  bool write = false;
  std::int64_t version = 0;
  std::string from; // "primary", "replica", "entity", "view 1"...
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, observation& x) {
  return f(caf::meta::type_name("observation"), x.write, x.version, x.from);
}

/// A session's violations of the two session guarantees, counted from what it saw, in order.
struct session_tally {
  std::int64_t reads = 0;
  std::int64_t ryw_violations = 0;       // a read older than the session's last write
  std::int64_t monotonic_violations = 0; // a read older than one the session read before
};

session_tally tally(const std::vector<observation>& seen);

// -- the servers (scripts/services) ---------------------------------------------------------------

/// Where one run keeps its profiles: a PostgreSQL database of its own on the primary, replicated to
/// the replica (dca::services::scratch). The servers start on demand.
using run_space = dca::services::scratch;
using run_space_ptr = std::shared_ptr<run_space>;

/// A fresh run space with the profiles table. Throws dca::services::unavailable with one line
/// naming the server and what to run when a server cannot be reached.
run_space_ptr make_run_space();

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// A profile's version as a server returned it.
struct profile {
  std::int64_t version = 0;
  std::string from; // "primary" or "replica": the server that answered
};

/// Where the application writes: the primary, through one connection named `name`.
class profile_writes {
public:
  profile_writes(const run_space& space, const std::string& name) : primary_(space.connect(name)) {}
  /// Renames profile `id` and returns its new version.
  std::int64_t rename(std::int64_t id, const std::string& name); // UPDATE ... RETURNING

private:
  dca::services::pg_connection primary_;
};

/// Where the application reads: a pool of the primary and the replica, taken in turn, as a load
/// balancer in front of them would. One connection to each, named after `name`.
class profile_reads {
public:
  profile_reads(const run_space& space, const std::string& name)
      : servers_{space.connect(name), space.connect_replica(name)} {}
  profile show(std::int64_t id); // SELECT on the next server of the pool

private:
  std::array<dca::services::pg_connection, 2> servers_;
  std::size_t next_ = 0;
};

/// One round of a session: rename profile `id` to `name` on the primary, then show it twice
/// through the read pool; every write and read goes into `seen`.
void session_round(profile_writes& writes, profile_reads& reads, std::int64_t id,
                   const std::string& name, std::vector<observation>& seen);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// The profile entity's command and event, and its state: the name and its version (the entity's
/// sequence number: the first event is version 1).
struct rename_profile {
  std::string name;
};
struct profile_renamed {
  std::string name;
};
struct profile_state {
  std::string name;
  std::int64_t version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rename_profile& x) {
  return f(caf::meta::type_name("rename_profile"), x.name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, profile_renamed& x) {
  return f(caf::meta::type_name("profile_renamed"), x.name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, profile_state& x) {
  return f(caf::meta::type_name("profile_state"), x.name, x.version);
}

/// The entity that owns a profile (keyed by the profile's id), on dca::es.
struct profile_entity {
  static constexpr const char* type_name = "profile";
  using state = profile_state;
  using command = caf::variant<rename_profile>;
  using event = caf::variant<profile_renamed>;
  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

/// What a view answers: the profile as it holds it, and the journal position it has applied up to.
struct view_row {
  std::string name;
  std::int64_t version = 0;
  std::uint64_t position = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, view_row& x) {
  return f(caf::meta::type_name("view_row"), x.name, x.version, x.position);
}

/// (read_atom, key, min_position) -> view_row: a view answers once it has applied the journal up
/// to min_position (at once for 0).
using read_atom = caf::atom_constant<caf::atom("read")>;
/// (seen_atom) -> std::vector<observation>: what a session saw, in order, once it has done all
/// its rounds.
using seen_atom = caf::atom_constant<caf::atom("seen")>;

/// A view: a projection of the profile events that serves reads, as a replica does. It follows the
/// journal when sent (dca::es::committed_atom, position).
caf::actor spawn_profile_view(caf::actor_system& system, dca::es::journal_ptr journal);

/// A session: renames profile `key` `rounds` times through the entity host `profiles`, and after
/// each rename shows it twice, from the views in turn.
caf::actor spawn_session(caf::actor_system& system, caf::actor profiles,
                         std::vector<caf::actor> views, std::string key, std::int64_t rounds);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 08` and `dca explore 08` run this exercise.
dca::harness::exercise describe();

} // namespace replica_lag
