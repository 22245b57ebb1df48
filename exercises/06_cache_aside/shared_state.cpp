// Exercise 06, shared-state track: cache-aside as most web applications write it. The database
// holds the truth, the cache a copy; a reader fills the cache on a miss, a writer updates the
// database and deletes the key. Each statement is atomic on its server, and still a reader that
// read the database before a write can put the old price back after the writer's DEL: the cache
// then serves it until its TTL runs out. Run `dca explore 06`.
#include "scenario.hpp"

namespace cache_aside {

// [slide:catalog]
std::int64_t catalog::price(const std::string& sku) {
  auto rows = db_.exec("SELECT cents FROM prices WHERE sku = $1", sku);
  if (rows.rows() == 0)
    throw std::runtime_error("no price for sku " + sku + " in PostgreSQL");
  return rows.int_at(0, 0);
}

void catalog::set_price(const std::string& sku, std::int64_t cents) {
  db_.exec("UPDATE prices SET cents = $2 WHERE sku = $1", sku, cents);
}
// [/slide:catalog]

// [slide:price_cache]
std::optional<std::int64_t> price_cache::get(const std::string& sku) {
  auto reply = cache_.command({"GET", space_.key("price:" + sku)});
  if (reply.is_nil())
    return std::nullopt;
  return std::stoll(reply.text);
}

void price_cache::set(const std::string& sku, std::int64_t cents) {
  cache_.command({"SET", space_.key("price:" + sku), std::to_string(cents), "PX",
                  std::to_string(cache_ttl_ms)});
}

void price_cache::invalidate(const std::string& sku) {
  cache_.command({"DEL", space_.key("price:" + sku)});
}
// [/slide:price_cache]

// [slide:cache_aside]
std::int64_t read_price(catalog& db, price_cache& cache, const std::string& sku) {
  if (auto hit = cache.get(sku)) // GET: a hit is served from the cache
    return *hit;
  auto cents = db.price(sku); // a miss reads the database...
  cache.set(sku, cents);      // ...and fills the cache: with what it read, maybe long ago
  return cents;
}

void write_price(catalog& db, price_cache& cache, const std::string& sku, std::int64_t cents) {
  db.set_price(sku, cents); // UPDATE the truth...
  cache.invalidate(sku);    // ...then DEL the copy, so the next read fills it again
}
// [/slide:cache_aside]

} // namespace cache_aside
