// Exercise 12, shared-state track: a transfer between two services as most code does it, and as
// two-phase commit does it. The naive one commits the debit at X, then the credit at Y: a process
// killed between them makes the money vanish. Two-phase commit (PostgreSQL's own PREPARE
// TRANSACTION and COMMIT PREPARED) makes the pair atomic, at a price: a coordinator that dies
// after the votes leaves both databases in doubt, and every later transfer on those rows waits
// until it comes back. Run `dca explore 12`, then `dca run 12`.
#include "scenario.hpp"

namespace cross_service_transfer {

using dca::services::pg_connection;

// [slide:cross_service_transfer]
void transfer_naive(pg_connection& x, pg_connection& y, const process_life& life,
                    const transfer_order& t) {
  x.exec("UPDATE accounts SET balance = balance - $2 WHERE id = $1", t.from, t.cents); // X commits
  life.crash_point(); // ...a deploy, the OOM killer or kill -9 may stop the process here...
  y.exec("UPDATE accounts SET balance = balance + $2 WHERE id = $1", t.to, t.cents); // ...Y commits
}
// [/slide:cross_service_transfer]

std::string prepared_name(const dca::services::scratch& bank, const transfer_order& t) {
  return bank.name() + ':' + t.tid;
}

namespace {

/// One participant's vote: its part of the transfer in a transaction it prepares, so it survives
/// a crash of anything, keeping its row lock, until the coordinator says commit or roll back.
void prepare(pg_connection& db, const std::string& name, const char* update,
             const std::string& account, std::int64_t cents) {
  db.exec("BEGIN");
  db.exec_params(update, {account, std::to_string(cents)});
  db.exec_params(("PREPARE TRANSACTION '" + name + "'").c_str(), {});
}

} // namespace

void transfer_two_phase(const banks& b, pg_connection& x, pg_connection& y,
                        const process_life& life, const transfer_order& t) {
  prepare(x, prepared_name(b.x, t), "UPDATE accounts SET balance = balance - $2 WHERE id = $1",
          t.from, t.cents); // X votes yes
  prepare(y, prepared_name(b.y, t), "UPDATE accounts SET balance = balance + $2 WHERE id = $1",
          t.to, t.cents); // Y votes yes
  life.crash_point();     // the coordinator dies after the votes: both are in doubt
  x.exec_params(("COMMIT PREPARED '" + prepared_name(b.x, t) + "'").c_str(), {});
  y.exec_params(("COMMIT PREPARED '" + prepared_name(b.y, t) + "'").c_str(), {});
}

int recover_two_phase(const banks& b, pg_connection& x, pg_connection& y, const transfer_order& t) {
  int found = 0;
  for (auto [db, name] : {std::pair{&x, prepared_name(b.x, t)}, {&y, prepared_name(b.y, t)}}) {
    if (db->exec("SELECT 1 FROM pg_prepared_xacts WHERE gid = $1", name).rows() == 0)
      continue;
    db->exec_params(("ROLLBACK PREPARED '" + name + "'").c_str(), {});
    found += 1;
  }
  return found;
}

} // namespace cross_service_transfer
