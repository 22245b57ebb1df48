// Exercise 13, shared-state track: the "stateless" handler. It keeps nothing between invocations;
// the seat map lives in PostgreSQL, and every invocation reads it, takes the first free seat and
// writes it back. Sixteen invocations at once sell one seat twice, and the platform's retry of an
// invocation that timed out reserves a second seat for the same request. Compare-and-set (the
// second handler) stops the first and not the second. Run `dca explore 13`, then `dca run 13`.
#include "scenario.hpp"

namespace serverless_state {

using dca::services::pg_connection;
const char* const schema_sql =
    "CREATE TABLE seat_maps (event_id text PRIMARY KEY, seats text NOT NULL, "
    "version bigint NOT NULL); "
    "CREATE TABLE reservations (id bigserial PRIMARY KEY, req_id text NOT NULL, "
    "event_id text NOT NULL, seat int NOT NULL, user_id text NOT NULL)";

// [slide:reserve_seat]
answer reserve_seat(pg_connection& db, const invocation& call, bool killed) {
  if (auto bad = request_id_problem(call.request_id))
    return {0, *bad};
  // [slide:read_modify_write]
  auto map = db.exec("SELECT seats FROM seat_maps WHERE event_id = $1", call.event);
  if (map.rows() == 0)
    return {0, unknown_event_words(call.event)};
  auto seats = *map.at(0, 0); // our copy: another invocation may be taking the same seat now
  auto free = seats.find('0');
  if (free == std::string::npos)
    return {0, "sold out"};
  seats[free] = '1';
  db.exec("UPDATE seat_maps SET seats = $2 WHERE event_id = $1", call.event, seats);
  if (killed) // the platform killed this worker here: it will invoke the request again
    throw worker_killed{};
  db.exec("INSERT INTO reservations (req_id, event_id, seat, user_id) VALUES ($1, $2, $3, $4)",
          call.request_id, call.event, free + 1, call.user);
  return {static_cast<int>(free) + 1, ""};
  // [/slide:read_modify_write]
}
// [/slide:reserve_seat]

// [slide:reserve_seat_cas]
answer reserve_seat_cas(pg_connection& db, const invocation& call, bool killed) {
  if (auto bad = request_id_problem(call.request_id))
    return {0, *bad};
  for (;;) {
    auto map = db.exec("SELECT seats, version FROM seat_maps WHERE event_id = $1", call.event);
    if (map.rows() == 0)
      return {0, unknown_event_words(call.event)};
    auto seats = *map.at(0, 0);
    auto free = seats.find('0');
    if (free == std::string::npos)
      return {0, "sold out"};
    seats[free] = '1';
    // [slide:compare_and_set]
    auto swapped = db.exec("UPDATE seat_maps SET seats = $2, version = version + 1 "
                           "WHERE event_id = $1 AND version = $3",
                           call.event, seats, map.int_at(0, 1))
                       .affected();
    if (swapped == 0)
      continue; // somebody wrote the map since we read it: read it again
    if (killed)
      throw worker_killed{};
    // A retry of this request is a new invocation with no memory of this one: it takes a seat too.
    db.exec("INSERT INTO reservations (req_id, event_id, seat, user_id) VALUES ($1, $2, $3, $4)",
            call.request_id, call.event, free + 1, call.user);
    return {static_cast<int>(free) + 1, ""};
    // [/slide:compare_and_set]
  }
}
// [/slide:reserve_seat_cas]

} // namespace serverless_state
