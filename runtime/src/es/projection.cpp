// The projection actor: catch up in batches, one read-model transaction per batch with the
// checkpoint in it, and answer read-your-writes waits as the checkpoint passes them.
#include "dca/es/projection.hpp"

#include <cassert>
#include <map>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/es/errors.hpp"

namespace dca::es {

projection_handler::~projection_handler() = default;

namespace {

struct projection_state {
  struct waiter {
    std::uint64_t min_position;
    caf::response_promise rp;
  };

  journal_ptr journal;
  std::shared_ptr<projection_handler> handler;
  projection_options opts;
  sql::db_ptr db;
  sql::statement save_checkpoint;
  std::uint64_t checkpoint = 0;
  std::uint64_t known_committed = 0;
  caf::error failure;
  int listener = 0;
  std::map<std::uint64_t, waiter> waiters; // by id
  std::uint64_t next_waiter = 1;
  std::vector<event_record> buf;

  static inline const char* name = "dca.es.projection";
};

using projection_actor = caf::stateful_actor<projection_state>;

void answer_waiters(projection_state& st) {
  for (auto i = st.waiters.begin(); i != st.waiters.end();) {
    if (st.failure) {
      i->second.rp.deliver(st.failure);
      i = st.waiters.erase(i);
    } else if (i->second.min_position <= st.checkpoint) {
      i->second.rp.deliver(st.checkpoint);
      i = st.waiters.erase(i);
    } else {
      ++i;
    }
  }
}

caf::error apply_batch(projection_state& st) {
  auto* db = st.db.get();
  const auto& path = st.opts.read_model_path;
  if (auto err = sql::exec(db, "BEGIN IMMEDIATE", path))
    return err;
  auto expected = st.checkpoint + 1;
  for (auto& ev : st.buf) {
    // Paired check: the journal hands out positions without gaps, in order.
    if (ev.position != expected) {
      sql::exec(db, "ROLLBACK", path);
      return make_error(errc::journal_corrupt,
                        "projection " + st.handler->name() + ": expected position " +
                            std::to_string(expected) + ", read " + std::to_string(ev.position));
    }
    if (auto err = st.handler->handle(db, path, ev)) {
      sql::exec(db, "ROLLBACK", path);
      return err;
    }
    ++expected;
  }
  auto& sc = st.save_checkpoint;
  sc.bind(1, st.handler->name());
  sc.bind(2, static_cast<std::int64_t>(st.buf.back().position));
  auto rc = sc.step();
  sc.reset();
  if (rc != SQLITE_DONE) {
    auto err = sql::to_error(rc, db, path, "saving the checkpoint");
    sql::exec(db, "ROLLBACK", path);
    return err;
  }
  if (auto err = sql::exec(db, "COMMIT", path)) {
    sql::exec(db, "ROLLBACK", path);
    return err;
  }
  st.checkpoint = st.buf.back().position;
  return caf::none;
}

/// One batch; asks for another (as a message, so waits and queries interleave) while behind.
void step(projection_actor* self) {
  auto& st = self->state;
  if (st.failure)
    return;
  if (auto err = st.journal->read_all(st.checkpoint, st.opts.batch_events_max, st.buf)) {
    st.failure = std::move(err);
    answer_waiters(st);
    return;
  }
  if (st.buf.empty())
    return;
  if (auto err = apply_batch(st)) {
    st.failure = std::move(err);
    answer_waiters(st);
    return;
  }
  answer_waiters(st);
  if (st.buf.size() == st.opts.batch_events_max || st.checkpoint < st.known_committed)
    self->send(self, committed_atom::value, st.known_committed);
}

caf::behavior projection_behavior(projection_actor* self, projection_state* seed) {
  auto& init = self->state;
  init.journal = std::move(seed->journal);
  init.handler = std::move(seed->handler);
  init.opts = std::move(seed->opts);
  init.db = std::move(seed->db);
  init.save_checkpoint = std::move(seed->save_checkpoint);
  init.checkpoint = seed->checkpoint;
  delete seed;
  auto handle = caf::actor_cast<caf::actor>(self);
  init.listener = init.journal->subscribe(
      [handle](std::uint64_t pos) { caf::anon_send(handle, committed_atom::value, pos); });
  auto j = init.journal;
  auto listener = init.listener;
  self->attach_functor([j, listener] { j->unsubscribe(listener); });
  init.known_committed = init.journal->committed_position();
  self->send(self, committed_atom::value, init.known_committed);
  return {
      [self](committed_atom, std::uint64_t pos) {
        auto& st = self->state;
        st.known_committed = std::max(st.known_committed, pos);
        step(self);
      },
      [self](wait_atom, std::uint64_t min_position, std::uint32_t timeout_ms) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        if (st.failure) {
          rp.deliver(st.failure);
        } else if (st.checkpoint >= min_position) {
          rp.deliver(st.checkpoint);
        } else if (st.waiters.size() >= st.opts.waiters_max) {
          rp.deliver(make_error(errc::overloaded, "projection " + st.handler->name() + ": " +
                                                      std::to_string(st.waiters.size()) +
                                                      " waiters (waiters_max)"));
        } else {
          auto id = st.next_waiter++;
          st.waiters.emplace(id, projection_state::waiter{min_position, rp});
          self->delayed_send(self, std::chrono::milliseconds{timeout_ms}, wait_timeout_atom::value,
                             id, min_position, timeout_ms);
        }
        return rp;
      },
      [self](wait_timeout_atom, std::uint64_t id, std::uint64_t min_position,
             std::uint32_t timeout_ms) {
        auto& st = self->state;
        auto i = st.waiters.find(id);
        if (i == st.waiters.end())
          return;
        i->second.rp.deliver(
            make_error(errc::timeout, "projection " + st.handler->name() + " reached position " +
                                          std::to_string(st.checkpoint) + ", not " +
                                          std::to_string(min_position) + ", within " +
                                          std::to_string(timeout_ms) + " ms"));
        st.waiters.erase(i);
      },
      [self](checkpoint_atom) { return self->state.checkpoint; },
  };
}

} // namespace

caf::expected<std::uint64_t> read_checkpoint(sqlite3* db, const std::string& name) {
  sql::statement st;
  if (auto err = sql::statement::prepare(db, "SELECT position FROM checkpoints WHERE name = ?", st,
                                         sqlite3_db_filename(db, "main")))
    return err;
  st.bind(1, name);
  auto rc = st.step();
  if (rc == SQLITE_ROW)
    return static_cast<std::uint64_t>(st.int64(0));
  if (rc == SQLITE_DONE)
    return std::uint64_t{0};
  return sql::to_error(rc, db, sqlite3_db_filename(db, "main"), "reading a checkpoint");
}

caf::expected<caf::actor> spawn_projection(caf::actor_system& sys, journal_ptr journal,
                                           std::shared_ptr<projection_handler> handler,
                                           projection_options opts) {
  assert(journal != nullptr && handler != nullptr);
  assert(opts.batch_events_max > 0 && opts.waiters_max > 0);
  const auto& path = opts.read_model_path;
  auto init = std::make_unique<projection_state>();
  sqlite3* raw = nullptr;
  auto rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  init->db.reset(raw);
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path, "opening the read model");
  sqlite3_busy_timeout(raw, 1000);
  if (auto err = sql::exec(raw, "PRAGMA journal_mode=WAL", path))
    return err;
  if (auto err = sql::exec(
          raw, opts.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
          path))
    return err;
  if (auto err = sql::exec(raw,
                           "CREATE TABLE IF NOT EXISTS checkpoints("
                           "name TEXT PRIMARY KEY, position INTEGER NOT NULL)",
                           path))
    return err;
  if (auto err = handler->setup(raw, path))
    return err;
  auto cp = read_checkpoint(raw, handler->name());
  if (!cp)
    return cp.error();
  if (*cp > journal->committed_position())
    return make_error(errc::journal_corrupt, path + ": checkpoint " + std::to_string(*cp) +
                                                 " is ahead of the journal (" +
                                                 std::to_string(journal->committed_position()) +
                                                 "): this read model belongs to another journal");
  init->checkpoint = *cp;
  if (auto err = sql::statement::prepare(
          raw, "INSERT OR REPLACE INTO checkpoints(name, position) VALUES(?, ?)",
          init->save_checkpoint, path))
    return err;
  init->journal = std::move(journal);
  init->handler = std::move(handler);
  init->opts = std::move(opts);
  return sys.spawn(projection_behavior, init.release());
}

} // namespace dca::es
