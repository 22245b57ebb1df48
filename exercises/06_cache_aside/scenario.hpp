// Exercise 06, cache-aside: the contract both tracks implement. A product's price lives in
// PostgreSQL and is cached in Redis. Readers look in the cache and, on a miss, read the database
// and fill the cache; writers update the database and delete the key. A reader that fills the cache
// after a writer deleted the key puts back the price it read before the write: the cache then
// holds a stale price until its TTL runs out. With message passing the price has one owner, an
// entity, and the cache is a projection of its events that only ever moves forward.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/es/entity.hpp"
#include "dca/es/journal.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/services/scratch.hpp"

namespace cache_aside {

/// The price before and after the one write of the explored scenario, in cents.
constexpr std::int64_t price_before_cents = 100;
constexpr std::int64_t price_after_cents = 120;

/// How long a cached price lives. Long enough that a stale price outlives any run.
constexpr std::int64_t cache_ttl_ms = 60'000;

// -- the servers (scripts/services) ---------------------------------------------------------------

/// Where one run keeps its data: a PostgreSQL database with the prices table, and a Redis key
/// prefix, of its own (dca::services::scratch), so runs, checkouts and grading slots never see
/// each other's prices. The servers start on demand.
using run_space = dca::services::scratch;
using run_space_ptr = std::shared_ptr<run_space>;

/// A fresh run space with the prices table created. Throws dca::services::unavailable with one
/// line naming the server and what to run when a server cannot be reached.
run_space_ptr make_run_space();

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// The truth: PostgreSQL's prices(sku, cents), through one connection named `name`.
class catalog {
public:
  catalog(const run_space& space, const std::string& name) : db_(space.connect(name)) {}
  std::int64_t price(const std::string& sku);                 // SELECT
  void set_price(const std::string& sku, std::int64_t cents); // UPDATE

private:
  dca::services::pg_connection db_;
};

/// The cache: Redis' <run>:price:<sku> -> cents, each with a TTL of cache_ttl_ms.
class price_cache {
public:
  price_cache(const run_space& space, const std::string& name)
      : cache_(space.connect_redis(name)), space_(space) {}
  std::optional<std::int64_t> get(const std::string& sku); // GET
  void set(const std::string& sku, std::int64_t cents);    // SET ... PX
  void invalidate(const std::string& sku);                 // DEL

private:
  dca::services::redis_connection cache_;
  const run_space& space_;
};

/// Cache-aside read: the cached price, or the database's, which then fills the cache.
std::int64_t read_price(catalog& db, price_cache& cache, const std::string& sku);

/// Cache-aside write: update the database, then delete the cached price.
void write_price(catalog& db, price_cache& cache, const std::string& sku, std::int64_t cents);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// The price entity's command and event, and its state: the price and how many times it was set
/// (its sequence number, which the cache stores beside the price).
struct set_price {
  std::int64_t cents = 0;
};
struct price_set {
  std::int64_t cents = 0;
};
struct price_state {
  std::int64_t cents = 0;
  std::uint64_t seq = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_price& x) {
  return f(caf::meta::type_name("set_price"), x.cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_set& x) {
  return f(caf::meta::type_name("price_set"), x.cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, price_state& x) {
  return f(caf::meta::type_name("price_state"), x.cents, x.seq);
}

/// The entity that owns a product's price (keyed by sku), on dca::es.
struct price {
  static constexpr const char* type_name = "price";
  using state = price_state;
  using command = caf::variant<set_price>;
  using event = caf::variant<price_set>;
  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

/// A cached price with the sequence number of the event it came from.
struct cached_price {
  std::int64_t cents = 0;
  std::uint64_t seq = 0;
};

/// Stores (cents, seq) as the cached price of `sku` unless the cache already holds one from a
/// later event. Returns whether it stored. The projection and the readers' fills both use it. The
/// cached price is the hash <run>:price:<sku> with fields cents and seq: the harness reads it
/// there to count stale prices.
bool store_if_newer(dca::services::redis_connection& cache, const run_space& space,
                    const std::string& sku, cached_price value);

/// The cached price of `sku`, if any.
std::optional<cached_price> load_cached(dca::services::redis_connection& cache,
                                        const run_space& space, const std::string& sku);

/// The cache projection: follows the journal from position `after` and stores each price_set
/// in the cache with store_if_newer. Send it (dca::es::committed_atom, position) to catch up.
caf::actor spawn_cache_projection(caf::actor_system& system, dca::es::journal_ptr journal,
                                  run_space_ptr space);

/// A reader: looks in the cache, and on a miss asks the entity (`prices`, an entity host of
/// `price`) and fills the cache. Replies to (read_atom, sku) with the price in cents.
using read_atom = caf::atom_constant<caf::atom("read")>;
caf::actor spawn_reader(caf::actor_system& system, caf::actor prices, run_space_ptr space);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 06` and `dca explore 06` run this exercise.
dca::harness::exercise describe();

} // namespace cache_aside
