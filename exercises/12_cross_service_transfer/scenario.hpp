// Exercise 12, a transfer across two services: the contract both tracks implement. Bank X and bank
// Y are two services with a PostgreSQL database each; a transfer takes money off an account at X
// and puts it on one at Y. Two local commits are not one: a process killed between the debit and
// the credit makes money vanish. Two-phase commit makes the pair atomic, and a coordinator that
// dies after the votes leaves both databases in doubt, holding the rows' locks until it comes back.
// With message passing the transfer is a saga that is itself an entity (dca::es::saga): hold at X,
// credit at Y, confirm (or release) at X, each step a short local transaction, idempotent by
// transfer id, so a saga resumed after a crash repeats a step without repeating its effect.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/es/saga.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/harness/process_life.hpp"
#include "dca/services/scratch.hpp"

namespace cross_service_transfer {

/// Every account opens with this much, in cents.
constexpr std::int64_t opening_cents = 100'000;
/// Accounts per bank: "x1".."x4" at X, "y1".."y4" at Y.
constexpr int accounts_per_bank = 4;

// -- the servers (scripts/services) ---------------------------------------------------------------

/// The two services' databases: two real PostgreSQL databases (dca::services::scratch), each with
/// its accounts, X's holds and Y's credits. A transaction an earlier run left prepared in either is
/// rolled back when they are claimed (scratch::reset says so in one line).
struct banks {
  dca::services::scratch x{"ex12x"};
  dca::services::scratch y{"ex12y"};
  /// What the two databases must hold together: every account's opening balance.
  static constexpr std::int64_t money_expected() { return 2 * accounts_per_bank * opening_cents; }
};
using banks_ptr = std::shared_ptr<banks>;

/// Both databases with their tables and opening balances. Throws dca::services::unavailable with
/// one line naming the server and what to run when PostgreSQL cannot be reached.
banks_ptr make_banks();

/// Σ of every balance at X and Y, plus the money in flight (held at X, not yet credited at Y),
/// through the connections `x` and `y`: what conservation compares with money_expected().
std::int64_t money_total(dca::services::pg_connection& x, dca::services::pg_connection& y);

/// One transfer: its id (the saga's key, the prepared transactions' name), from an account at X
/// to one at Y.
struct transfer_order {
  std::string tid;
  std::string from;
  std::string to;
  std::int64_t cents = 0;
};

/// kill -9 for the service's process (dca/harness/process_life.hpp): `life.crash_point()` between
/// two writes throws process_killed when the process was killed by then.
using dca::harness::process_killed;
using dca::harness::process_life;

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// The transfer as most services write it: debit at X (commit), then credit at Y (commit).
void transfer_naive(dca::services::pg_connection& x, dca::services::pg_connection& y,
                    const process_life& life, const transfer_order& t);

/// The name of `t`'s prepared transaction in `bank` (unique in the cluster: names are global).
std::string prepared_name(const dca::services::scratch& bank, const transfer_order& t);

/// Two-phase commit: both databases prepare (vote), then the coordinator commits both. It may die
/// after the votes (its crash point): both stay prepared, in doubt, holding their row locks.
void transfer_two_phase(const banks& b, dca::services::pg_connection& x,
                        dca::services::pg_connection& y, const process_life& life,
                        const transfer_order& t);

/// The coordinator's recovery: it logged no decision, so it presumes abort and rolls back every
/// prepared transaction of `t`. Returns how many it found.
int recover_two_phase(const banks& b, dca::services::pg_connection& x,
                      dca::services::pg_connection& y, const transfer_order& t);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// The steps of a transfer saga, each one local transaction in one bank, each idempotent by tid:
/// run twice (a driver killed after the effect, before it recorded it), it changes nothing more.
/// hold: takes the money off `from` at X into a hold; false when the balance does not cover it.
bool hold(dca::services::pg_connection& x, const transfer_order& t);
/// credit: puts the money on `to` at Y; false when Y has no such account.
bool credit(dca::services::pg_connection& y, const transfer_order& t);
/// confirm: the hold at X is spent for good.
void confirm(dca::services::pg_connection& x, const std::string& tid);
/// release: the compensation: the hold at X goes back to its account.
void release(dca::services::pg_connection& x, const std::string& tid);
/// uncredit: the undo of a credit in doubt (its hold expired before it was answered): takes a
/// credit at Y back, or, when none came yet, leaves a tombstone (a credits row of 0 cents) so a
/// credit with this tid arriving later takes no effect. Idempotent by tid. The harness's own
/// (scenario.cpp): learners do not change it.
void uncredit(dca::services::pg_connection& y, const transfer_order& t);

/// How long the saga's hold at X lasts on the saga's clock: past it, unless the credit was
/// recorded, expire_saga compensates the saga (dca/es/saga.hpp).
constexpr std::int64_t hold_expiry_ms = 30'000;

/// What a transfer saga moves: its payload.
struct transfer_params {
  std::string from;
  std::string to;
  std::int64_t cents = 0;
  friend bool operator==(const transfer_params& x, const transfer_params& y) {
    return x.from == y.from && x.to == y.to && x.cents == y.cents;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transfer_params& x) {
  return f(caf::meta::type_name("transfer_params"), x.from, x.to, x.cents);
}

/// The transfer saga's type (dca/es/saga.hpp): hold at X (undone by release), credit at Y, confirm
/// at X. A refused hold ends it with nothing moved; a refused credit releases the hold.
struct transfer_saga_type {
  static constexpr const char* type_name = "transfer_saga";
  using payload = transfer_params;
  static constexpr const char* steps[] = {"hold", "credit", "confirm"};
};

/// The transfer saga as an entity (keyed by tid): its journal is where the saga is, so a driver
/// that dies loses nothing; the next one reads the state and takes the next step.
using transfer_saga = dca::es::saga<transfer_saga_type>;
using saga_state = transfer_saga::state;

/// Where a saga is, in the words of the lesson.
enum class saga_phase : std::uint8_t {
  none,
  begun,          // next: hold
  held,           // next: credit
  hold_refused,   // done: nothing moved
  credited,       // next: confirm
  credit_refused, // next: release
  expired,        // the hold expired before the credit was answered: next: uncredit, release
  confirmed,      // done: the money moved
  released,       // done: the money went back
};
std::string to_string(saga_phase x);

/// The phase of a saga whose entity is in `s`.
saga_phase phase_of(const saga_state& s);

/// Where a driver is killed during one step (kill -9 at a seeded point): before the step's
/// effect, or after it and before the saga recorded it.
struct step_crash {
  bool before_effect = false;
  bool after_effect = false;
};

/// The transfer saga's driver (the process manager): takes the next step (or undo) of `state`'s
/// saga in its bank and returns what the saga is to record. Throws process_killed where `crash`
/// says. `now_ms`: the saga's clock, when the caller keeps one: a hold then expires
/// hold_expiry_ms later; 0: it never does.
transfer_saga::command take_step(dca::services::pg_connection& x, dca::services::pg_connection& y,
                                 const step_crash& crash, const std::string& tid,
                                 const saga_state& state, std::int64_t now_ms = 0);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// Where the driver of a saga dies: asked for each (attempt, step), the attempt counting the
/// drivers started for this saga from 0, the step counting the steps one driver took.
using crash_plan = std::function<step_crash(int attempt, int step)>;

/// Transfer sagas on real actors: a host of transfer_saga entities (dca::es, in-memory journal)
/// and drivers that take each saga's steps in the two banks and record them in its entity.
class saga_runner {
public:
  explicit saga_runner(banks_ptr b);
  ~saga_runner();
  saga_runner(const saga_runner&) = delete;
  saga_runner& operator=(const saga_runner&) = delete;

  struct outcome {
    saga_state state; // as its entity recorded it
    int crashes = 0;  // drivers killed
  };
  /// Begins `t`'s saga (or finds it begun) and drives it to its end, starting a new driver (new
  /// connections) each time one is killed, at most `drivers_max` drivers.
  outcome run(const transfer_order& t, const crash_plan& crash, int drivers_max = 1'000);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// How `dca run 12` and `dca explore 12` run this exercise.
dca::harness::exercise describe();

} // namespace cross_service_transfer
