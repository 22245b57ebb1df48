// Exercise 07, shared-state track: the dual write as most order services do it. The order goes
// into PostgreSQL, then its event onto a Redis stream for shipping. Each write is atomic on its
// server; the pair is not, and a process killed between them leaves the two servers telling
// different stories: an order nobody ships, or (publishing first) a shipment of an order that
// does not exist. Run `dca explore 07`.
#include "scenario.hpp"

namespace dual_write {

// [slide:writes]
void order_table::insert(const order_line& order) {
  db_.exec("INSERT INTO orders (order_id, cents) VALUES ($1, $2)", order.order_id, order.cents);
}

void order_stream::publish(const order_line& order) {
  redis_.command(
      {"XADD", stream_key_, "*", "order_id", order.order_id, "cents", std::to_string(order.cents)});
}
// [/slide:writes]

// [slide:dual_write]
void place_order(order_table& db, order_stream& stream, const process_life& life,
                 const order_line& order) {
  db.insert(order);      // INSERT: the order exists...
  life.crash_point();    // ...a deploy, the OOM killer or kill -9 may stop the process here...
  stream.publish(order); // ...and XADD: now shipping hears of it
}
// [/slide:dual_write]

void place_order_publish_first(order_table& db, order_stream& stream, const process_life& life,
                               const order_line& order) {
  stream.publish(order); // XADD first: shipping hears of an order...
  life.crash_point();    // ...the process may die here...
  db.insert(order);      // ...that only now exists
}

} // namespace dual_write
