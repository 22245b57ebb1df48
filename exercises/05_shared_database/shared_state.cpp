// Exercise 05, shared-state track: stateless workers over one database. Each request is a
// transaction at READ COMMITTED that reads the stock, decides in the worker, and writes the stock
// back: the database runs each statement atomically, but nothing makes the read and the write one
// decision. Read it, run `dca explore 05` to watch two workers sell the last unit twice, and
// `dca run 05 --compare` to see what the database's own fixes cost.
#include "scenario.hpp"

namespace shared_database {

const char* const schema_sql =
    "CREATE TABLE items (sku bigint PRIMARY KEY, stock bigint NOT NULL); "
    "CREATE TABLE orders (order_id bigint PRIMARY KEY, sku bigint NOT NULL); "
    "CREATE TABLE users (user_id bigint PRIMARY KEY, username text NOT NULL)";

// [slide:buy]
bool buy(dca::services::pg_connection& db, std::int64_t sku, std::int64_t order_id) {
  db.exec("BEGIN"); // READ COMMITTED: each statement sees what was committed before it began
  auto stock = db.exec("SELECT stock FROM items WHERE sku = $1", sku).int_at(0, 0);
  if (stock <= 0) {
    db.exec("COMMIT");
    return false;
  }
  // Another worker may have sold the unit we saw since our SELECT: we write our old view back.
  db.exec("UPDATE items SET stock = $1 WHERE sku = $2", stock - 1, sku);
  db.exec("INSERT INTO orders (order_id, sku) VALUES ($1, $2)", order_id, sku);
  db.exec("COMMIT");
  return true;
}
// [/slide:buy]

// [slide:sign_up]
bool sign_up(dca::services::pg_connection& db, const std::string& username, std::int64_t user_id) {
  auto taken = db.exec("SELECT count(*) FROM users WHERE username = $1", username).int_at(0, 0);
  if (taken > 0)
    return false;
  db.exec("INSERT INTO users (user_id, username) VALUES ($1, $2)", user_id, username);
  return true;
}
// [/slide:sign_up]

} // namespace shared_database
