// The projection actor: catch up in batches, one read-model transaction per batch with the
// checkpoint in it, and answer read-your-writes waits as the checkpoint passes them. When the
// journal's reads may block (the SQLite journal), each batch (the journal read and the read-model
// transaction) runs on the journal's I/O threads and its outcome comes back as a message, so the
// actor's handlers never wait for a disk.
#include "dca/es/projection.hpp"

#include <map>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"

namespace dca::es {

projection_handler::~projection_handler() = default;

namespace {

/// Internal: a batch run on the journal's I/O threads is done: (checkpoint, events, failure).
using projected_atom = caf::atom_constant<caf::atom("projected")>;

/// What a projection's batches work on. One batch runs at a time (on the actor's thread or on an
/// I/O thread), so it needs no lock; a batch in flight shares it, and may outlive the actor.
struct projection_io {
  std::shared_ptr<projection_handler> handler;
  std::string name; // the handler's
  std::string path; // the read model's
  std::size_t batch_events_max = 0;
  sql::db_ptr db;
  sql::statement save_checkpoint;
  std::uint64_t checkpoint = 0; // the read model's
  std::vector<event_record> buf;
};

/// What one batch did.
struct batch_outcome {
  std::uint64_t checkpoint = 0; // after the batch
  std::uint64_t events = 0;     // applied
  caf::error failure;
};

struct projection_state {
  struct waiter {
    std::uint64_t min_position;
    caf::response_promise rp;
  };

  journal_ptr journal;
  std::shared_ptr<projection_io> io;
  std::string handler_name;
  std::size_t batch_events_max = 0;
  std::size_t waiters_max = 0;
  std::uint64_t checkpoint = 0; // the last batch's, as the actor knows it
  std::uint64_t known_committed = 0;
  caf::error failure;
  int listener = 0;
  bool batch_running = false;              // on the journal's I/O threads
  bool committed_during_batch = false;     // a commit was announced meanwhile
  std::map<std::uint64_t, waiter> waiters; // by id
  std::uint64_t next_waiter = 1;

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

/// Rolls back the read-model transaction and passes `err` on.
caf::error roll_back(projection_io& io, caf::error err) {
  sql::exec(io.db.get(), "ROLLBACK", io.path);
  return err;
}

/// Applies `io.buf` and the checkpoint in one read-model transaction.
caf::error apply_batch(projection_io& io) {
  auto* db = io.db.get();
  if (auto err = sql::exec(db, "BEGIN IMMEDIATE", io.path))
    return err;
  auto expected = io.checkpoint + 1;
  for (auto& ev : io.buf) {
    // Paired check: the journal hands out positions without gaps, in order.
    if (ev.position != expected)
      return roll_back(
          io, make_error(errc::journal_corrupt, "projection " + io.name + ": expected position " +
                                                    std::to_string(expected) + ", read " +
                                                    std::to_string(ev.position)));
    if (auto err = io.handler->handle(db, io.path, ev))
      return roll_back(io, std::move(err));
    ++expected;
  }
  auto& sc = io.save_checkpoint;
  sc.bind(1, io.name);
  sc.bind(2, static_cast<std::int64_t>(io.buf.back().position));
  auto rc = sc.step();
  sc.reset();
  if (rc != SQLITE_DONE)
    return roll_back(io, sql::to_error(rc, db, io.path, "saving the checkpoint"));
  if (auto err = sql::exec(db, "COMMIT", io.path))
    return roll_back(io, std::move(err));
  io.checkpoint = io.buf.back().position;
  return caf::none;
}

/// One batch: the events after the checkpoint, read from the journal and applied.
batch_outcome run_batch(projection_io& io, journal& j) {
  batch_outcome out;
  if (auto err = j.read_all(io.checkpoint, io.batch_events_max, io.buf))
    out.failure = std::move(err);
  else if (!io.buf.empty())
    out.failure = apply_batch(io);
  out.checkpoint = io.checkpoint;
  out.events = out.failure ? 0 : io.buf.size();
  return out;
}

/// Takes a batch's outcome; asks for another (as a message, so waits and queries interleave)
/// while behind.
void batch_done(projection_actor* self, batch_outcome out) {
  auto& st = self->state;
  auto announced = st.committed_during_batch;
  st.batch_running = false;
  st.committed_during_batch = false;
  DCA_ASSERT(out.checkpoint >= st.checkpoint); // the checkpoint only grows
  st.checkpoint = out.checkpoint;
  if (out.failure)
    st.failure = std::move(out.failure);
  if (st.failure || (out.events == 0 && !announced)) {
    answer_waiters(st);
    return;
  }
  answer_waiters(st);
  if (out.events == st.batch_events_max || st.checkpoint < st.known_committed)
    self->send(self, committed_atom::value, st.known_committed);
}

/// Runs one batch: inline when the journal's reads do not block, else on its I/O threads.
void step(projection_actor* self) {
  auto& st = self->state;
  if (st.failure)
    return;
  if (st.batch_running) {
    st.committed_during_batch = true;
    return;
  }
  if (!st.journal->reads_block()) {
    batch_done(self, run_batch(*st.io, *st.journal));
    return;
  }
  st.batch_running = true;
  // The task owns a reference to the journal: the actor may stop before the task runs, and its
  // journal may be a decorator that nothing else keeps alive.
  auto j = st.journal;
  j->run_io([io = st.io, j, handle = caf::actor_cast<caf::actor>(self)] {
    auto out = run_batch(*io, *j);
    caf::anon_send(handle, projected_atom::value, out.checkpoint, out.events,
                   std::move(out.failure));
  });
}

caf::result<std::uint64_t> on_wait(projection_actor* self, std::uint64_t min_position,
                                   std::uint32_t timeout_ms) {
  auto& st = self->state;
  if (st.failure)
    return st.failure;
  if (st.checkpoint >= min_position)
    return st.checkpoint;
  if (st.waiters.size() >= st.waiters_max)
    return make_error(errc::overloaded, "projection " + st.handler_name + ": " +
                                            std::to_string(st.waiters.size()) +
                                            " waiters (waiters_max)");
  auto rp = self->make_response_promise();
  auto id = st.next_waiter++;
  st.waiters.emplace(id, projection_state::waiter{min_position, rp});
  self->delayed_send(self, std::chrono::milliseconds{timeout_ms}, wait_timeout_atom::value, id,
                     min_position, timeout_ms);
  return rp;
}

void on_wait_timeout(projection_actor* self, std::uint64_t id, std::uint64_t min_position,
                     std::uint32_t timeout_ms) {
  auto& st = self->state;
  auto i = st.waiters.find(id);
  if (i == st.waiters.end())
    return;
  i->second.rp.deliver(make_error(
      errc::timeout, "projection " + st.handler_name + " reached position " +
                         std::to_string(st.checkpoint) + ", not " + std::to_string(min_position) +
                         ", within " + std::to_string(timeout_ms) + " ms"));
  st.waiters.erase(i);
}

/// Follows the journal's commits: a listener that messages the actor, removed when it stops.
void follow_commits(projection_actor* self) {
  auto& st = self->state;
  auto handle = caf::actor_cast<caf::actor>(self);
  st.listener = st.journal->subscribe(
      [handle](std::uint64_t pos) { caf::anon_send(handle, committed_atom::value, pos); });
  self->attach_functor([j = st.journal, listener = st.listener] { j->unsubscribe(listener); });
  st.known_committed = st.journal->committed_position();
  self->send(self, committed_atom::value, st.known_committed);
}

caf::behavior projection_behavior(projection_actor* self, journal_ptr journal,
                                  std::shared_ptr<projection_io> io, std::size_t waiters_max) {
  auto& init = self->state;
  init.journal = std::move(journal);
  init.handler_name = io->name;
  init.batch_events_max = io->batch_events_max;
  init.checkpoint = io->checkpoint;
  init.io = std::move(io);
  init.waiters_max = waiters_max;
  follow_commits(self);
  return {
      [self](committed_atom, std::uint64_t pos) {
        auto& st = self->state;
        st.known_committed = std::max(st.known_committed, pos);
        step(self);
      },
      [self](projected_atom, std::uint64_t checkpoint, std::uint64_t events, caf::error& failure) {
        batch_done(self, batch_outcome{checkpoint, events, std::move(failure)});
      },
      [self](wait_atom, std::uint64_t min_position, std::uint32_t timeout_ms) {
        return on_wait(self, min_position, timeout_ms);
      },
      [self](wait_timeout_atom, std::uint64_t id, std::uint64_t min_position,
             std::uint32_t timeout_ms) { on_wait_timeout(self, id, min_position, timeout_ms); },
      [self](checkpoint_atom) { return self->state.checkpoint; },
  };
}

caf::expected<sql::db_ptr> open_read_model(const projection_options& opts) {
  const auto& path = opts.read_model_path;
  sqlite3* raw = nullptr;
  auto rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  sql::db_ptr db{raw};
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path, "opening the read model");
  sqlite3_busy_timeout(raw, 1000);
  const char* pragmas[] = {
      "PRAGMA journal_mode=WAL",
      opts.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
      "CREATE TABLE IF NOT EXISTS checkpoints(name TEXT PRIMARY KEY, position INTEGER NOT NULL)",
  };
  for (auto* sql_text : pragmas)
    if (auto err = sql::exec(raw, sql_text, path))
      return err;
  return db;
}

/// The read model opened and set up, its checkpoint read and checked against the journal.
caf::expected<std::shared_ptr<projection_io>>
prepare_io(const journal& j, std::shared_ptr<projection_handler> handler,
           const projection_options& opts) {
  const auto& path = opts.read_model_path;
  auto db = open_read_model(opts);
  if (!db)
    return db.error();
  auto* raw = db->get();
  if (auto err = handler->setup(raw, path))
    return err;
  auto io = std::make_shared<projection_io>();
  io->name = handler->name();
  auto cp = read_checkpoint(raw, io->name);
  if (!cp)
    return cp.error();
  if (*cp > j.committed_position())
    return make_error(errc::journal_corrupt, path + ": checkpoint " + std::to_string(*cp) +
                                                 " is ahead of the journal (" +
                                                 std::to_string(j.committed_position()) +
                                                 "): this read model belongs to another journal");
  if (auto err = sql::statement::prepare(
          raw, "INSERT OR REPLACE INTO checkpoints(name, position) VALUES(?, ?)",
          io->save_checkpoint, path))
    return err;
  io->handler = std::move(handler);
  io->path = path;
  io->batch_events_max = opts.batch_events_max;
  io->db = std::move(*db);
  io->checkpoint = *cp;
  return io;
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
  DCA_ASSERT(journal != nullptr);
  DCA_ASSERT(handler != nullptr);
  DCA_ASSERT(opts.batch_events_max > 0);
  DCA_ASSERT(opts.waiters_max > 0);
  auto io = prepare_io(*journal, std::move(handler), opts);
  if (!io)
    return io.error();
  return sys.spawn(projection_behavior, std::move(journal), std::move(*io), opts.waiters_max);
}

} // namespace dca::es
