// A learner's exercise 12 whose hold is wrong in one plausible way, the rest the reference's:
// WRONG_HOLD_GUARD debits without `AND balance >= $2` (an overdraft, the hold taken anyway);
// otherwise it forgets the holds row (a resumed driver's second hold finds no trace of the first
// and debits again, and a release finds nothing to give back). Linked into a subject
// (tests/judge/CMakeLists.txt), each must fail the judged spec on the judge's own count.
#include "scenario.hpp"

// The reference's steps, its hold renamed out of the way (scenario.hpp is included once).
#define hold hold_as_in_the_reference
#include "../../../solutions/12_cross_service_transfer/message_passing.cpp"
#undef hold

namespace cross_service_transfer {

bool hold(pg_connection& x, const transfer_order& t) {
  x.exec("BEGIN");
  if (x.exec("SELECT 1 FROM holds WHERE tid = $1", t.tid).rows() == 1) {
    x.exec("COMMIT");
    return true;
  }
#ifdef WRONG_HOLD_GUARD
  auto debited = x.exec("UPDATE accounts SET balance = balance - $2 WHERE id = $1", t.from, t.cents)
                     .affected();
  if (debited == 1)
    x.exec("INSERT INTO holds (tid, account, cents, state) VALUES ($1, $2, $3, 'held')", t.tid,
           t.from, t.cents);
#else
  auto debited =
      x.exec("UPDATE accounts SET balance = balance - $2 WHERE id = $1 AND balance >= $2", t.from,
             t.cents)
          .affected();
#endif
  x.exec("COMMIT");
  return debited == 1;
}

} // namespace cross_service_transfer
