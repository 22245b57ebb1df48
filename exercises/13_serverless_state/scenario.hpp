// Exercise 13, serverless with external state: the contract both tracks implement. A ticket shop
// runs its seat reservations as "stateless" functions: a platform invokes a handler per request, up
// to 16 at once, with no memory between invocations, and invokes it again when an invocation times
// out (at least once). The state did not go away: it moved into a store. With shared state every
// handler reads the event's seat map from PostgreSQL, takes the first free seat and writes the map
// back; with message passing the handler asks the event's one entity (a keyed stateful function on
// dca::es), activated on demand and recovered from its journal, with the request id as the
// idempotency key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/es/journal.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/services/pg_connection.hpp"

namespace serverless_state {

/// The event every run sells, and how many seats it has.
const std::string event_id = "e1";
constexpr int seats_default = 100;

/// One invocation's input: reserve a seat of `event` for `user`; `request_id` names the request,
/// the same on every retry of it.
struct invocation {
  std::string event;
  std::string request_id;
  std::string user;
};

/// One invocation's answer: the seat (from 1), or one line saying why there is none.
struct answer {
  int seat = 0;
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, answer& x) {
  return f(caf::meta::type_name("answer"), x.seat, x.error);
}

/// Why `request_id` is not a request id (1 to 64 letters, digits, '-' or '_'), or nothing.
std::optional<std::string> request_id_problem(const std::string& request_id);

/// "no event 'e9': ...": the answer to a request for an event the shop does not sell.
std::string unknown_event_words(const std::string& event);

/// Thrown at a handler's crash point when the platform killed its worker there: the invocation
/// stops, what it wrote stays written, and the platform retries it.
struct worker_killed {};

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// The store: seat_maps(event_id, seats, version), one character per seat ('0' free, '1' sold),
/// and reservations(req_id, event_id, seat, user_id), one row per seat sold.
extern const char* const schema_sql;

/// The stateless handler: reads the seat map, takes the first free seat, writes the map back and
/// records the reservation. `killed` stops it after the map is written (its worker died there).
answer reserve_seat(dca::services::pg_connection& db, const invocation& call, bool killed);

/// The same with compare-and-set: the map carries a version, and the write succeeds only when the
/// version is still the one read (otherwise it reads again).
answer reserve_seat_cas(dca::services::pg_connection& db, const invocation& call, bool killed);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// Refusals of the event's entity.
enum class errc : std::uint8_t { sold_out = 1, unknown_event, bad_request };
constexpr caf::atom_value error_category = caf::atom("seats");
caf::error make_error(errc code, std::string detail);
bool is(const caf::error& err, errc code) noexcept;

struct open_event { // command: the shop puts `seats` seats on sale
  int seats = 0;
};
struct reserve { // command: a seat for `user`, asked by request `request_id`
  std::string request_id;
  std::string user;
};
struct event_opened {
  int seats = 0;
};
struct seat_reserved {
  int seat = 0; // from 1
  std::string request_id;
  std::string user;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, open_event& x) {
  return f(caf::meta::type_name("open_event"), x.seats);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reserve& x) {
  return f(caf::meta::type_name("reserve"), x.request_id, x.user);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_opened& x) {
  return f(caf::meta::type_name("event_opened"), x.seats);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_reserved& x) {
  return f(caf::meta::type_name("seat_reserved"), x.seat, x.request_id, x.user);
}

struct event_state {
  bool opened = false;
  std::vector<std::string> holders; // by seat - 1: the request holding it, "" when free
  std::int64_t reservations = 0;    // seat_reserved events applied
  std::int64_t double_booked = 0;   // of them, for a seat somebody held already
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_state& x) {
  return f(caf::meta::type_name("event_state"), x.opened, x.holders, x.reservations,
           x.double_booked);
}

/// The event's seats as one entity (key "event-<id>"): every reservation of the event is decided
/// here, one at a time, against the only copy of its seat map.
struct event_seats {
  static constexpr const char* type_name = "event_seats";
  using state = event_state;
  using command = caf::variant<open_event, reserve>;
  using event = caf::variant<event_opened, seat_reserved>;
  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

/// The entity's key for an event id.
std::string entity_key(const std::string& event);

/// One invocation of the stateful function: a short-lived actor that asks the event's entity (on
/// the host `events`) for a seat, sends the answer to `reply_to` and quits.
caf::actor spawn_invocation(caf::actor_system& sys, caf::actor events, invocation call,
                            caf::actor reply_to);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// A host of event_seats entities on `journal`, with no idle timers (a run is short; an explored
/// one waits for quiet actors).
caf::actor spawn_events(caf::actor_system& sys, dca::es::journal_ptr journal);

/// What a run ended with, in the store (or the entity): the curriculum's three detections.
struct seat_tally {
  std::int64_t sold = 0;                    // reservations made
  std::int64_t marked = 0;                  // seats the map marks sold
  std::int64_t double_booked = 0;           // seats with more than one reservation
  std::int64_t requests_reserved_twice = 0; // request ids holding more than one seat
  bool clean() const {
    return double_booked == 0 && requests_reserved_twice == 0 && sold == marked;
  }
};

/// The tally of the event `event_id` in the store, through `db`.
seat_tally tally_store(dca::services::pg_connection& db);

/// The tally of an event's entity state.
seat_tally tally_entity(const event_state& s);

/// What the platform does to request number `k` of a run: nothing, a timeout after the invocation
/// finished (the retry comes after it), or its worker killed mid-invocation (then the retry).
enum class fault { none, retried_after_finish, killed_mid_invocation };

/// The seeded fault plan of `requests` requests: the same seed, the same faults.
std::vector<fault> faults_of(std::uint64_t seed, std::int64_t requests, std::int64_t retry_percent,
                             std::int64_t kill_percent);

/// Request number `k` (from 0): "r<k+1>" for user "u<k+1>" on event_id.
invocation request_of(std::int64_t k);

/// The compare-and-set handler under the explorer: two requests for the last two seats.
dca::explore::report explore_cas(const dca::explore::options& opts);

/// How `dca run 13` and `dca explore 13` run this exercise.
dca::harness::exercise describe();

} // namespace serverless_state
