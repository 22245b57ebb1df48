// The bank domain: pure decide/apply for accounts, the transfer saga's type and steps (the saga and
// its driver are dca::es's), and the balances read model.
#include "dca/examples/bank.hpp"

#include "dca/es/entity.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/saga_driver.hpp"

namespace dca::examples::bank {

using namespace dca::es; // the domain is written on the runtime's vocabulary

// -- errors ---------------------------------------------------------------------------------------

const char* to_string(errc x) noexcept {
  switch (x) {
  case errc::not_open:
    return "not_open";
  case errc::already_open:
    return "already_open";
  case errc::invalid_amount:
    return "invalid_amount";
  case errc::insufficient_funds:
    return "insufficient_funds";
  case errc::conflicting_transfer:
    return "conflicting_transfer";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string detail) {
  return es::make_domain_error(error_category, static_cast<std::uint8_t>(code), to_string(code),
                               std::move(detail));
}

bool is(const caf::error& err, errc code) noexcept {
  return es::is_domain_error(err, error_category, static_cast<std::uint8_t>(code));
}

// -- accounts -------------------------------------------------------------------------------------

namespace {

template <class... Fs>
struct overload : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overload(Fs...) -> overload<Fs...>;

template <class Variant, class... Fs>
auto match(const Variant& x, Fs... fs) {
  auto f = overload<Fs...>{fs...};
  return caf::visit(f, x);
}

} // namespace

caf::expected<std::vector<account::event>> account::decide(const state& s, const command& cmd) {
  using result = caf::expected<std::vector<event>>;
  return match(
      cmd,
      [&](const open_account& c) -> result {
        if (s.open)
          return make_error(errc::already_open, "account already open for " + s.owner);
        return std::vector<event>{account_opened{c.owner}};
      },
      [&](const deposit& c) -> result {
        if (!s.open)
          return make_error(errc::not_open, "deposit to an account that is not open");
        if (c.amount_cents <= 0)
          return make_error(errc::invalid_amount, std::to_string(c.amount_cents) + " cents");
        return std::vector<event>{deposited{c.amount_cents}};
      },
      // [slide:decide_withdraw]
      [&](const withdraw& c) -> result {
        if (!s.open)
          return make_error(errc::not_open, "withdrawal from an account that is not open");
        if (c.amount_cents <= 0)
          return make_error(errc::invalid_amount, std::to_string(c.amount_cents) + " cents");
        if (c.amount_cents > s.balance_cents)
          return make_error(errc::insufficient_funds,
                            "balance " + std::to_string(s.balance_cents) + ", withdrawal " +
                                std::to_string(c.amount_cents) + " cents");
        return std::vector<event>{withdrawn{c.amount_cents}};
      });
  // [/slide:decide_withdraw]
}

// [slide:apply]
account::state account::apply(state s, const event& ev) {
  match(
      ev,
      [&](const account_opened& e) {
        s.open = true;
        s.owner = e.owner;
      },
      [&](const deposited& e) { s.balance_cents += e.amount_cents; },
      [&](const withdrawn& e) { s.balance_cents -= e.amount_cents; });
  return s;
}
// [/slide:apply]

// -- transfers ------------------------------------------------------------------------------------

caf::error transfer_saga::check(const start_transfer& c) {
  if (c.amount_cents <= 0)
    return make_error(errc::invalid_amount, std::to_string(c.amount_cents) + " cents");
  if (c.from == c.to)
    return make_error(errc::invalid_amount, "transfer from an account to itself");
  return caf::none;
}

transfer_phase phase_of(const transfer_state& s) {
  switch (s.status) {
  case saga_status::none:
    return transfer_phase::none;
  case saga_status::running:
    return s.steps_done == 0 ? transfer_phase::started : transfer_phase::debited;
  case saga_status::completed:
    return transfer_phase::completed;
  case saga_status::compensating:
    return transfer_phase::refunding;
  case saga_status::compensated:
    break;
  }
  return s.failed_step == 0 ? transfer_phase::failed : transfer_phase::refunded;
}

caf::actor run_transfer(caf::actor_system& sys, caf::actor accounts, caf::actor transfers,
                        std::string id, start_transfer params) {
  auto from = [](const start_transfer& p) { return p.from; };
  auto to = [](const start_transfer& p) { return p.to; };
  auto withdrawal = [](const start_transfer& p) { return withdraw{p.amount_cents}; };
  auto deposit_of = [](const start_transfer& p) { return deposit{p.amount_cents}; };
  saga_step<start_transfer> debit;
  debit.run = entity_command_step<account, start_transfer>(accounts, from, withdrawal);
  debit.undo = entity_command_step<account, start_transfer>(accounts, from, deposit_of); // refund
  saga_step<start_transfer> credit;
  credit.run = entity_command_step<account, start_transfer>(accounts, to, deposit_of);
  return spawn_saga_driver<transfer>(sys, std::move(transfers), std::move(id), std::move(params),
                                     {debit, credit});
}

std::string to_string(transfer_phase x) {
  switch (x) {
  case transfer_phase::none:
    return "none";
  case transfer_phase::started:
    return "started";
  case transfer_phase::debited:
    return "debited";
  case transfer_phase::completed:
    return "completed";
  case transfer_phase::failed:
    return "failed";
  case transfer_phase::refunding:
    return "refunding";
  case transfer_phase::refunded:
    return "refunded";
  }
  return "unknown";
}

// -- the balances read model ----------------------------------------------------------------------

caf::error balances_projection::setup(sqlite3* db, const std::string& path) {
  return sql::exec(db,
                   "CREATE TABLE IF NOT EXISTS balances("
                   "account TEXT PRIMARY KEY, owner TEXT NOT NULL, "
                   "balance_cents INTEGER NOT NULL, position INTEGER NOT NULL)",
                   path);
}

caf::error balances_projection::handle(sqlite3* db, const std::string& path,
                                       const event_record& ev) {
  if (ev.entity.type != account::type_name)
    return caf::none;
  account::event e;
  if (auto err = dca::es::decode_event<account>(ev, e))
    return dca::es::make_error(dca::es::errc::decode_failed, path + ": position " +
                                                                 std::to_string(ev.position) +
                                                                 ": " + render(err));
  // Statements are prepared per connection and cached here: one read model per handler.
  if (db != db_) {
    db_ = db;
    if (auto err = sql::statement::prepare(
            db, "INSERT INTO balances(account, owner, balance_cents, position) VALUES(?,?,0,?)",
            insert_, path))
      return err;
    if (auto err = sql::statement::prepare(
            db,
            "UPDATE balances SET balance_cents = balance_cents + ?, position = ? WHERE account = ?",
            add_, path))
      return err;
  }
  int rc;
  auto pos = static_cast<std::int64_t>(ev.position);
  if (auto opened = caf::get_if<account_opened>(&e)) {
    insert_.bind(1, ev.entity.key);
    insert_.bind(2, opened->owner);
    insert_.bind(3, pos);
    rc = insert_.step();
    insert_.reset();
  } else {
    auto delta = caf::holds_alternative<deposited>(e) ? caf::get<deposited>(e).amount_cents
                                                      : -caf::get<withdrawn>(e).amount_cents;
    add_.bind(1, delta);
    add_.bind(2, pos);
    add_.bind(3, ev.entity.key);
    rc = add_.step();
    add_.reset();
  }
  if (rc != SQLITE_DONE)
    return sql::to_error(rc, db, path, "updating balances");
  return caf::none;
}

caf::expected<std::optional<std::int64_t>> read_balance(sqlite3* db, const std::string& account) {
  std::string path = sqlite3_db_filename(db, "main");
  sql::statement st;
  if (auto err = sql::statement::prepare(db, "SELECT balance_cents FROM balances WHERE account = ?",
                                         st, path))
    return err;
  st.bind(1, account);
  auto rc = st.step();
  if (rc == SQLITE_ROW)
    return std::optional<std::int64_t>{st.int64(0)};
  if (rc == SQLITE_DONE)
    return std::optional<std::int64_t>{};
  return sql::to_error(rc, db, path, "reading a balance");
}

void register_decoders(decoder_registry& reg) {
  reg.add<account>();
  reg.add<transfer>();
}

} // namespace dca::examples::bank
