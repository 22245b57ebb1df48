// Exercise 05, "stateless" services over a shared database: the contract both tracks implement.
// A shop sells SKU 42, of which it has 100. Stateless workers handle the buy requests, each with
// its own PostgreSQL connection. No more units may be sold than there are: orders == 100 - stock,
// never below zero. The same race in a second costume: usernames must be unique, and a signup
// that asks "is it taken?" before it inserts gives one name to two users. With shared state the
// database holds the stock and every worker reads, decides and writes it (READ COMMITTED, as
// ACIDRain's Figure 1); with message passing every command for a SKU goes to its one entity.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/harness/exercise.hpp"
#include "dca/services/pg_connection.hpp"

namespace shared_database {

constexpr std::int64_t hot_sku = 42;
constexpr std::int64_t initial_stock = 100;

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// The tables both requests work on: items(sku, stock), orders(order_id, sku), users(user_id,
/// username). PostgreSQL runs every transaction at READ COMMITTED unless told otherwise.
extern const char* const schema_sql;

/// One buy request, as a stateless worker handles it: sells one unit of `sku` as order `order_id`
/// when the stock has one. Returns whether it sold. Many workers run it at once.
bool buy(dca::services::pg_connection& db, std::int64_t sku, std::int64_t order_id);

/// One signup request: gives `username` to user `user_id` unless someone has it. Returns whether
/// it did.
bool sign_up(dca::services::pg_connection& db, const std::string& username, std::int64_t user_id);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// Domain refusals: the SKU has no stock left, the username is someone else's.
enum class errc : std::uint8_t { sold_out = 1, taken };
constexpr caf::atom_value error_category = caf::atom("shop");
caf::error make_error(errc code, std::string detail);
bool is(const caf::error& err, errc code) noexcept;

struct receive_stock { // command: the warehouse delivered `units`
  std::int64_t units = 0;
};
struct buy_item { // command: sell one unit as order `order_id`
  std::int64_t order_id = 0;
};
struct stock_received {
  std::int64_t units = 0;
};
struct item_sold {
  std::int64_t order_id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, receive_stock& x) {
  return f(caf::meta::type_name("receive_stock"), x.units);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, buy_item& x) {
  return f(caf::meta::type_name("buy_item"), x.order_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stock_received& x) {
  return f(caf::meta::type_name("stock_received"), x.units);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_sold& x) {
  return f(caf::meta::type_name("item_sold"), x.order_id);
}

struct sku_state {
  std::int64_t stock = 0;
  std::int64_t sold = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sku_state& x) {
  return f(caf::meta::type_name("sku_state"), x.stock, x.sold);
}

/// The one owner of a SKU's stock (key "sku-42"): every buy for it is decided here, in order.
struct sku {
  static constexpr const char* type_name = "sku";
  using state = sku_state;
  using command = caf::variant<receive_stock, buy_item>;
  using event = caf::variant<stock_received, item_sold>;
  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

struct claim_username { // command: give this name to `user_id`
  std::int64_t user_id = 0;
};
struct username_claimed {
  std::int64_t user_id = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_username& x) {
  return f(caf::meta::type_name("claim_username"), x.user_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, username_claimed& x) {
  return f(caf::meta::type_name("username_claimed"), x.user_id);
}

struct username_state {
  std::int64_t owner = 0; // 0: nobody has it
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, username_state& x) {
  return f(caf::meta::type_name("username_state"), x.owner);
}

/// The one owner of a username (key: the name itself): the name is the entity's identity.
struct username {
  static constexpr const char* type_name = "username";
  using state = username_state;
  using command = caf::variant<claim_username>;
  using event = caf::variant<username_claimed>;
  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 05` and `dca explore 05` run this exercise.
dca::harness::exercise describe();

/// The entity track's load, on whatever scheduler `system` has (run_actors' threads, a spec's
/// deterministic one): `workers` stateless workers share the buys 1..`requests` for sku 42, sent to
/// `skus`, then each claims the name "alice" at `names`; each reports (sold, got_name), two
/// std::int64_t, to `report`. The SKU's stock must have been delivered first.
void spawn_entity_workers(caf::actor_system& system, const caf::actor& skus,
                          const caf::actor& names, std::int64_t workers, std::int64_t requests,
                          const caf::actor& report);

/// The signup race under the explorer: two workers sign up "alice" at once.
dca::explore::report explore_signup(const dca::explore::options& opts);

} // namespace shared_database
