// The bank domain: pure decide/apply for accounts and transfers, the transfer saga's driver actor,
// and the balances read model.
#include "dca/examples/bank.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/es/entity.hpp"
#include "dca/es/errors.hpp"

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

caf::expected<std::vector<transfer::event>> transfer::decide(const state& s, const command& cmd) {
  using result = caf::expected<std::vector<event>>;
  using phase = transfer_phase;
  auto none = std::vector<event>{};
  return match(
      cmd,
      [&](const start_transfer& c) -> result {
        if (s.phase == phase::none) {
          if (c.amount_cents <= 0)
            return make_error(errc::invalid_amount, std::to_string(c.amount_cents) + " cents");
          if (c.from == c.to)
            return make_error(errc::invalid_amount, "transfer from an account to itself");
          return std::vector<event>{transfer_started{c.from, c.to, c.amount_cents}};
        }
        if (c.from != s.from || c.to != s.to || c.amount_cents != s.amount_cents)
          return make_error(errc::conflicting_transfer, "transfer id reused with other parameters");
        return none; // already started: starting again is a no-op
      },
      [&](const record_debit&) -> result {
        return s.phase == phase::started ? std::vector<event>{transfer_debited{}} : none;
      },
      [&](const record_credit&) -> result {
        return s.phase == phase::debited ? std::vector<event>{transfer_credited{}} : none;
      },
      [&](const record_failure& c) -> result {
        if (s.phase == phase::started || s.phase == phase::debited)
          return std::vector<event>{transfer_failed{c.reason}};
        return none;
      },
      [&](const record_refund&) -> result {
        return s.phase == phase::refunding ? std::vector<event>{transfer_refunded{}} : none;
      });
}

transfer::state transfer::apply(state s, const event& ev) {
  using phase = transfer_phase;
  match(
      ev,
      [&](const transfer_started& e) {
        s.phase = phase::started;
        s.from = e.from;
        s.to = e.to;
        s.amount_cents = e.amount_cents;
      },
      [&](const transfer_debited&) { s.phase = phase::debited; },
      [&](const transfer_credited&) { s.phase = phase::completed; },
      [&](const transfer_failed& e) {
        // Failing before the debit moved nothing; failing after it owes a refund.
        s.phase = s.phase == phase::started ? phase::failed : phase::refunding;
        s.failure = e.reason;
      },
      [&](const transfer_refunded&) { s.phase = phase::refunded; });
  return s;
}

// -- the saga driver ------------------------------------------------------------------------------

namespace {

constexpr auto step_timeout = std::chrono::seconds{10};

struct saga_state {
  caf::actor accounts;
  caf::actor transfers;
  std::string id;
  start_transfer params;
  std::optional<transfer_state> outcome;
  caf::error failure;
  std::vector<caf::response_promise> waiters;
  static inline const char* name = "dca.es.bank.transfer_saga";
};

using saga_actor = caf::stateful_actor<saga_state>;

void advance(saga_actor* self, const transfer_state& s);

void finish(saga_actor* self, std::optional<transfer_state> outcome, caf::error failure) {
  auto& st = self->state;
  st.outcome = std::move(outcome);
  st.failure = std::move(failure);
  for (auto& rp : st.waiters) {
    if (st.failure)
      rp.deliver(st.failure);
    else
      rp.deliver(*st.outcome);
  }
  if (!st.waiters.empty())
    self->quit();
}

/// Re-reads the transfer entity and takes the next step.
void refresh(saga_actor* self) {
  auto& st = self->state;
  self->request(st.transfers, step_timeout, get_atom::value, st.id)
      .then([self](const transfer_state& s) { advance(self, s); },
            [self](caf::error& err) { finish(self, std::nullopt, std::move(err)); });
}

/// Records a step in the transfer entity, then continues.
void record(saga_actor* self, transfer::command cmd) {
  auto& st = self->state;
  self->request(st.transfers, step_timeout, command_atom::value, st.id, std::move(cmd),
                std::string{})
      .then([self](const ack&) { refresh(self); },
            [self](caf::error& err) { finish(self, std::nullopt, std::move(err)); });
}

/// Sends an account command for step `step`; a domain refusal becomes `on_refusal`.
void account_step(saga_actor* self, const std::string& account_key, account::command cmd,
                  const char* step, std::optional<transfer::command> on_success, bool refusable) {
  auto& st = self->state;
  auto key = "transfer:" + st.id + ":" + step;
  self->request(st.accounts, step_timeout, command_atom::value, account_key, std::move(cmd), key)
      .then(
          [self, on_success](const ack&) {
            if (on_success)
              record(self, *on_success);
          },
          [self, refusable](caf::error& err) {
            if (refusable && err.category() == error_category)
              record(self, transfer::command{record_failure{render(err)}});
            else
              finish(self, std::nullopt, std::move(err)); // infrastructure: resume later
          });
}

void advance(saga_actor* self, const transfer_state& s) {
  using phase = transfer_phase;
  switch (s.phase) {
  case phase::none:
    finish(self, std::nullopt,
           dca::es::make_error(dca::es::errc::entity_failed, "transfer not started"));
    break;
  case phase::started:
    account_step(self, s.from, account::command{withdraw{s.amount_cents}}, "debit",
                 transfer::command{record_debit{}}, true);
    break;
  case phase::debited:
    account_step(self, s.to, account::command{deposit{s.amount_cents}}, "credit",
                 transfer::command{record_credit{}}, true);
    break;
  case phase::refunding:
    account_step(self, s.from, account::command{deposit{s.amount_cents}}, "refund",
                 transfer::command{record_refund{}}, false);
    break;
  case phase::completed:
  case phase::failed:
  case phase::refunded:
    finish(self, s, caf::none);
    break;
  }
}

caf::behavior saga(saga_actor* self, caf::actor accounts, caf::actor transfers, std::string id,
                   start_transfer params) {
  auto& init = self->state;
  init.accounts = std::move(accounts);
  init.transfers = std::move(transfers);
  init.id = std::move(id);
  init.params = std::move(params);
  // Starting is idempotent (the entity ignores a repeated start with the same parameters), so
  // resuming a transfer after a crash is running it again.
  self->request(init.transfers, step_timeout, command_atom::value, init.id,
                transfer::command{init.params}, std::string{})
      .then([self](const ack&) { refresh(self); },
            [self](caf::error& err) { finish(self, std::nullopt, std::move(err)); });
  return {
      [self](get_atom) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        if (st.failure) {
          rp.deliver(st.failure);
          self->quit();
        } else if (st.outcome) {
          rp.deliver(*st.outcome);
          self->quit();
        } else {
          st.waiters.push_back(rp);
        }
        return rp;
      },
  };
}

} // namespace

caf::actor run_transfer(caf::actor_system& sys, caf::actor accounts, caf::actor transfers,
                        std::string id, start_transfer params) {
  return sys.spawn(saga, std::move(accounts), std::move(transfers), std::move(id),
                   std::move(params));
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
