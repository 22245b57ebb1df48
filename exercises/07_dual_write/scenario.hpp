// Exercise 07, the dual write: the contract both tracks implement. A shop's order service records
// each order in PostgreSQL and announces it on a Redis stream, where shipping reads it. Two writes
// to two servers are not one: a crash between them leaves an order without its event (or, when the
// service publishes first, an event without its order), and no retry can tell which half happened.
// With message passing there is one write, the order entity's journal; a relay publishes the
// journal to the stream from a stored position, at least once, and shipping deduplicates by that
// position, so every order is shipped exactly once whatever the relay's crashes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/es/entity.hpp"
#include "dca/es/journal.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/harness/process_life.hpp"
#include "dca/services/scratch.hpp"

namespace dual_write {

/// The price of every order in the scenarios, in cents.
constexpr std::int64_t order_cents = 2'500;

// -- the servers (scripts/services) ---------------------------------------------------------------

/// Where one run keeps its data: a PostgreSQL database with the orders table and a Redis key prefix
/// of its own (dca::services::scratch). The servers start on demand.
using run_space = dca::services::scratch;
using run_space_ptr = std::shared_ptr<run_space>;

/// A fresh run space with the orders table created. Throws dca::services::unavailable with one
/// line naming the server and what to run when a server cannot be reached.
run_space_ptr make_run_space();

/// One placed order: its id ("o17") and its price.
struct order_line {
  std::string order_id;
  std::int64_t cents = 0;
};

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// The truth: PostgreSQL's orders(order_id, cents), through one connection named `name`.
class order_table {
public:
  order_table(const run_space& space, const std::string& name) : db_(space.connect(name)) {}
  void insert(const order_line& order); // INSERT

private:
  dca::services::pg_connection db_;
};

/// The news: Redis' stream `stream_key` of order_placed entries, which shipping reads.
class order_stream {
public:
  order_stream(const run_space& space, const std::string& name, std::string stream_key)
      : redis_(space.connect_redis(name)), stream_key_(std::move(stream_key)) {}
  void publish(const order_line& order); // XADD

private:
  dca::services::redis_connection redis_;
  std::string stream_key_;
};

/// kill -9 for the service's process (dca/harness/process_life.hpp): `life.crash_point()` between
/// two writes throws process_killed when the process was killed by then.
using dca::harness::process_killed;
using dca::harness::process_life;

/// The order service as most shops write it: insert the order, then announce it.
void place_order(order_table& db, order_stream& stream, const process_life& life,
                 const order_line& order);

/// The same two writes the other way round: announce the order, then insert it.
void place_order_publish_first(order_table& db, order_stream& stream, const process_life& life,
                               const order_line& order);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// The order entity's command and event (keyed by order id), and its state.
struct place_order_command {
  std::int64_t cents = 0;
};
struct order_placed {
  std::int64_t cents = 0;
};
struct order_state {
  std::int64_t cents = 0;
  bool placed = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, place_order_command& x) {
  return f(caf::meta::type_name("place_order"), x.cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_placed& x) {
  return f(caf::meta::type_name("order_placed"), x.cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_state& x) {
  return f(caf::meta::type_name("order_state"), x.cents, x.placed);
}

/// The entity that owns an order, on dca::es: its journal is the only write the service makes.
struct order {
  static constexpr const char* type_name = "order";
  using state = order_state;
  using command = caf::variant<place_order_command>;
  using event = caf::variant<order_placed>;
  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

/// The Redis keys of one relay: the stream it publishes to, and where it stores its position.
struct relay_keys {
  std::string stream;
  std::string position;
};

/// One entry of the stream as shipping reads it: the order, and the journal position it came from.
struct stream_entry {
  std::uint64_t position = 0;
  order_line order;
};

/// What shipping keeps: every order it shipped, in order, and the last journal position it handled.
struct shipping_state {
  std::uint64_t handled_through = 0;
  std::vector<std::string> shipped;
};

/// Shipping's handling of one stream entry: ships its order, once per journal position.
void ship(shipping_state& st, const stream_entry& entry);

/// (crash_atom) kills the relay, which restarts from its stored position at once.
using crash_atom = caf::atom_constant<caf::atom("crash")>;
/// (flush_atom): reply once everything is handled, with the state (shipping) or position (relay).
using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// Shipping: reads the stream whenever the relay says it published, and ships with `ship`.
/// Replies to (flush_atom) with its shipped orders once it read the stream to its end.
caf::actor spawn_shipping(caf::actor_system& system, run_space_ptr space, relay_keys keys);

/// The relay: follows the journal from its stored position, publishes each order_placed to the
/// stream, then stores the position; tells `shipping` after each publish. Send it
/// (dca::es::committed_atom, position) on each commit. Replies to (flush_atom) with the last
/// position it published once it published everything the journal holds.
caf::actor spawn_relay(caf::actor_system& system, dca::es::journal_ptr journal, run_space_ptr space,
                       relay_keys keys, caf::actor shipping);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 07` and `dca explore 07` run this exercise.
dca::harness::exercise describe();

} // namespace dual_write
