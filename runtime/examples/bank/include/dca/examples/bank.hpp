// The example domain the tests, the benchmarks and `dca journal` use, built on dca::es as its own
// target (dca::example_bank), which the runtime library does not link: bank accounts (open,
// deposit, withdraw with no overdraft), a transfer between two accounts as a saga (dca::es::saga:
// itself an entity, so it survives a crash and resumes), and the balances read model. All amounts
// are integer cents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/variant.hpp>

#include "dca/es/decoder_registry.hpp"
#include "dca/es/projection.hpp"
#include "dca/es/saga.hpp"

namespace dca::examples::bank {

// -- errors ---------------------------------------------------------------------------------------

enum class errc : std::uint8_t {
  not_open = 1,
  already_open,
  invalid_amount,
  insufficient_funds,
  conflicting_transfer, // a transfer id reused with different parameters
};

constexpr caf::atom_value error_category = caf::atom("bank");
const char* to_string(errc x) noexcept;
caf::error make_error(errc code, std::string detail);
bool is(const caf::error& err, errc code) noexcept;

// -- accounts -------------------------------------------------------------------------------------

struct open_account {
  std::string owner;
};
struct deposit {
  std::int64_t amount_cents = 0;
};
struct withdraw {
  std::int64_t amount_cents = 0;
};

struct account_opened {
  std::string owner;
};
struct deposited {
  std::int64_t amount_cents = 0;
};
struct withdrawn {
  std::int64_t amount_cents = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, open_account& x) {
  return f(caf::meta::type_name("open_account"), x.owner);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deposit& x) {
  return f(caf::meta::type_name("deposit"), x.amount_cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, withdraw& x) {
  return f(caf::meta::type_name("withdraw"), x.amount_cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_opened& x) {
  return f(caf::meta::type_name("account_opened"), x.owner);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deposited& x) {
  return f(caf::meta::type_name("deposited"), x.amount_cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, withdrawn& x) {
  return f(caf::meta::type_name("withdrawn"), x.amount_cents);
}

struct account_state {
  bool open = false;
  std::string owner;
  std::int64_t balance_cents = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_state& x) {
  return f(caf::meta::type_name("account_state"), x.open, x.owner, x.balance_cents);
}

// [slide:entity]
struct account {
  static constexpr const char* type_name = "account";
  using state = account_state;
  using command = caf::variant<open_account, deposit, withdraw>;
  using event = caf::variant<account_opened, deposited, withdrawn>;

  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};
// [/slide:entity]

// -- transfers (a saga: dca::es::saga, an entity that records each step it took) -----------------

/// What a transfer moves: the saga's payload.
struct start_transfer {
  std::string from;
  std::string to;
  std::int64_t amount_cents = 0;
  friend bool operator==(const start_transfer& x, const start_transfer& y) {
    return x.from == y.from && x.to == y.to && x.amount_cents == y.amount_cents;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_transfer& x) {
  return f(caf::meta::type_name("start_transfer"), x.from, x.to, x.amount_cents);
}

/// The transfer saga's type: withdraw from `from` (undo: deposit it back, the refund), then
/// deposit to `to`.
struct transfer_saga {
  static constexpr const char* type_name = "transfer";
  using payload = start_transfer;
  static constexpr const char* steps[] = {"debit", "credit"};
  /// Refuses a transfer of no money, or from an account to itself.
  static caf::error check(const start_transfer& params);
};

/// The transfer entity, keyed by transfer id: its state is its events (dca/es/saga.hpp).
using transfer = es::saga<transfer_saga>;
using transfer_state = transfer::state;

/// Where a transfer is, in the bank's words.
enum class transfer_phase : std::uint8_t {
  none,      // never started
  started,   // next: withdraw from `from`
  debited,   // next: deposit to `to`
  completed, // done
  failed,    // the debit was refused: nothing moved
  refunding, // the credit was refused: next: deposit back to `from`
  refunded,  // done: money returned
};

std::string to_string(transfer_phase x);

/// The phase of a transfer whose saga is in `s`.
transfer_phase phase_of(const transfer_state& s);

/// Runs (or resumes) transfer `id` to its end and replies with its final state (a
/// dca::es::saga_driver). Every step is recorded in the transfer entity before the next one, and
/// every account command carries the step's key "saga:<id>:debit" (dca::es::step_key), so
/// re-running after a crash at any point moves the money exactly once. A refused credit is
/// refunded; a step not answered in time is asked again with the same key, and never abandoned
/// (a refund of a debit that did not happen would make money). `accounts` and `transfers` are the
/// hosts of the two entity types.
caf::actor run_transfer(caf::actor_system& sys, caf::actor accounts, caf::actor transfers,
                        std::string id, start_transfer params);

/// Ask the returned actor (get_atom) -> transfer_state for the outcome; it quits after answering.

// -- the balances read model ----------------------------------------------------------------------

/// balances(account TEXT PRIMARY KEY, owner TEXT, balance_cents INTEGER)
class balances_projection final : public es::projection_handler {
public:
  std::string name() const override { return "balances"; }
  caf::error setup(sqlite3* db, const std::string& path) override;
  caf::error handle(sqlite3* db, const std::string& path, const es::event_record& ev) override;

private:
  sqlite3* db_ = nullptr;
  es::sql::statement insert_;
  es::sql::statement add_;
};

/// Reads one balance from a connection to the read model (nullopt: no such account).
caf::expected<std::optional<std::int64_t>> read_balance(sqlite3* db, const std::string& account);

/// Registers the bank's event types with `reg`, so tools such as `dca journal verify` can decode
/// them. The runtime does not know this domain: whoever wants its events decoded calls this.
void register_decoders(es::decoder_registry& reg);

} // namespace dca::examples::bank
