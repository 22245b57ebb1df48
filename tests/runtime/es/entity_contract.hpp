// The entity contract every journal keeps, on CAF's real scheduler with the bank example: commands
// acknowledged with their seq and position, a duplicate (same idempotency key) answered from the
// journal after the host restarts, state recovered from snapshot and tail by a new host, and the
// balances projection following the journal to a read-your-writes position. Run against the
// memory and SQLite journals (journal_test.cpp) and the PostgreSQL journal
// (postgres_journal_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "dca/es/entity_host.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/projection.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/examples/bank.hpp"
#include "es_test_support.hpp"

namespace dca::es::testing {

namespace bank = dca::examples::bank;

/// A bank account host on `j`: snapshots every 2 events, no passivation.
inline caf::actor spawn_accounts(caf::actor_system& sys, const journal_ptr& j) {
  entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{0};
  opts.snapshot_every = 2;
  return spawn_entity_host<bank::account>(sys, j, opts);
}

inline caf::expected<ack> account_command(caf::scoped_actor& self, const caf::actor& host,
                                          const std::string& key, bank::account::command cmd,
                                          std::string idempotency_key = {}) {
  return ask<ack>(self, host, command_atom::value, key, std::move(cmd), std::move(idempotency_key));
}

/// Stops `host` and waits until it is gone, so a new host is the key's only activation.
inline void stop_host(caf::scoped_actor& self, const caf::actor& host) {
  self->monitor(host);
  self->send_exit(host, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {});
}

/// `j` must be empty. `read_model` is a fresh SQLite path for the projection.
inline void check_entity_contract(const journal_ptr& j, const std::string& read_model) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto host = spawn_accounts(sys, j);
  REQUIRE(account_command(self, host, "alice", bank::open_account{"Alice"}));
  REQUIRE(account_command(self, host, "bob", bank::open_account{"Bob"}));
  auto paid = account_command(self, host, "alice", bank::deposit{700}, "pay-1");
  REQUIRE_MESSAGE(paid, render(paid.error()));
  CHECK(paid->seq == 2);
  CHECK(paid->position == 3);
  for (int i = 0; i < 3; ++i)
    REQUIRE(account_command(self, host, "alice", bank::withdraw{100}));
  stop_host(self, host);
  // A new host recovers alice (from a snapshot if one was written, and the tail) and still knows
  // pay-1 from the journal.
  host = spawn_accounts(sys, j);
  auto again = account_command(self, host, "alice", bank::deposit{700}, "pay-1");
  REQUIRE_MESSAGE(again, render(again.error()));
  CHECK(again->duplicate);
  CHECK(again->position == paid->position);
  auto st = ask<bank::account_state>(self, host, get_atom::value, std::string{"alice"});
  REQUIRE(st);
  CHECK(st->balance_cents == 400);
  auto last = account_command(self, host, "bob", bank::deposit{5});
  REQUIRE(last);
  CHECK(last->position == 7);
  projection_options popts;
  popts.read_model_path = read_model;
  popts.batch_events_max = 3; // several batches
  auto proj = spawn_projection(sys, j, std::make_shared<bank::balances_projection>(), popts);
  REQUIRE_MESSAGE(proj, render(proj.error()));
  auto reached =
      ask<std::uint64_t>(self, *proj, wait_atom::value, last->position, std::uint32_t{30'000});
  REQUIRE_MESSAGE(reached, render(reached.error()));
  CHECK(*reached == 7);
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(read_model.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sql::db_ptr db{raw};
  auto alice = bank::read_balance(raw, "alice");
  REQUIRE(alice);
  CHECK(*alice == std::optional<std::int64_t>{400});
  stop_host(self, host);
  stop_host(self, *proj);
}

} // namespace dca::es::testing
