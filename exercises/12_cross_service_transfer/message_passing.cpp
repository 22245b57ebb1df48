// Exercise 12, message-passing track: the transfer as a saga that is itself an entity. Its steps
// are short local transactions, one bank each: hold the money at X, credit it at Y, then confirm
// the hold (or, when Y refuses, release it back). No lock is held between steps, so nothing else
// waits for a saga whose driver died; the saga's journal says where it was, and the next driver
// takes the step again. That is only safe when every step is idempotent by transfer id.
#include "scenario.hpp"

namespace cross_service_transfer {

using dca::services::pg_connection;

bool hold(pg_connection& x, const transfer_order& t) {
  x.exec("BEGIN");
  if (x.exec("SELECT 1 FROM holds WHERE tid = $1", t.tid).rows() == 1) {
    x.exec("COMMIT"); // taken before: a driver died after this step, before it recorded it
    return true;
  }
  auto debited =
      x.exec("UPDATE accounts SET balance = balance - $2 WHERE id = $1 AND balance >= $2", t.from,
             t.cents)
          .affected();
  if (debited == 1)
    x.exec("INSERT INTO holds (tid, account, cents, state) VALUES ($1, $2, $3, 'held')", t.tid,
           t.from, t.cents);
  x.exec("COMMIT");
  return debited == 1;
}

// [slide:saga_credit]
bool credit(pg_connection& y, const transfer_order& t) {
  // TODO: a driver killed after this credit and before the saga recorded it credits again on
  // resume. Make the credit happen once per t.tid: in one transaction, record t.tid in the
  // credits table (tid, account, cents) and credit only when that row is new.
  auto credited =
      y.exec("UPDATE accounts SET balance = balance + $2 WHERE id = $1", t.to, t.cents).affected();
  // TODO: end the transaction: COMMIT when it credited, ROLLBACK (no credits row) when refused.
  return credited == 1;
}
// [/slide:saga_credit]

void confirm(pg_connection& x, const std::string& tid) {
  x.exec("UPDATE holds SET state = 'confirmed' WHERE tid = $1 AND state = 'held'", tid);
}

void release(pg_connection& x, const std::string& tid) {
  x.exec("BEGIN");
  auto back = x.exec("UPDATE holds SET state = 'released' WHERE tid = $1 AND state = 'held' "
                     "RETURNING account, cents",
                     tid);
  // No row when this hold was released before: then nothing is given back twice.
  if (back.rows() == 1)
    x.exec("UPDATE accounts SET balance = balance + $2 WHERE id = $1", *back.at(0, 0),
           back.int_at(0, 1));
  x.exec("COMMIT");
}

} // namespace cross_service_transfer
