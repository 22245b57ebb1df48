// The SQLite journal's writer thread: adaptive group commit of the queued appends and snapshots,
// the sequence fence on every append, and what a batch that fails undoes. In pipelined mode it
// hands each committed batch to the sync thread (wal_sync.cpp), which acks it after its fdatasync.
#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "journal_refusals.hpp"
#include "sqlite_journal_impl.hpp"

namespace dca::es {

caf::error sqlite_journal::impl::prepare_writer_statements() {
  auto* raw = wdb_.get();
  const std::pair<const char*, sql::statement*> statements[] = {
      {schema::insert_event_sql, &insert_event_},
      {schema::insert_stream_sql, &insert_stream_},
      {schema::upsert_snapshot_sql, &upsert_snapshot_},
  };
  for (auto [sql_text, st] : statements)
    if (auto err = sql::statement::prepare(raw, sql_text, *st, path))
      return err;
  return caf::none;
}

// -- appends --------------------------------------------------------------------------------------

void sqlite_journal::impl::append(append_request req, append_callback done) {
  if (req.fence) { // one writing process and no lease table: a fence here would be a pretence
    done(make_error(errc::fence_unsupported,
                    path + ": the SQLite journal cannot check shard fences (shard " +
                        std::to_string(req.fence->shard) +
                        "): use the PostgreSQL journal for shard ownership"));
    return;
  }
  queue_.append(std::move(req), std::move(done));
}

void sqlite_journal::impl::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  queue_.save_snapshot(entity, std::move(snapshot));
}

void sqlite_journal::impl::run_writer() {
  std::vector<job> batch;
  for (;;) {
    batch.clear();
    if (!queue_.wait())
      return; // stopping and drained
    wal->begin_batch();
    write_batch(batch);
    wal->end_batch();
    if (pipelined())
      wal->checkpoint_if_due(wdb_.get());
  }
}

void sqlite_journal::impl::write_batch(std::vector<job>& batch) {
  // Adaptive group commit without a timer: the transaction takes what queued while the previous
  // commit was in flight, and keeps taking what queues while it inserts, until it finds the queue
  // empty (or holds batch_events_max events). Appends that arrive while earlier ones are being
  // inserted join this commit instead of waiting a whole commit for the next one.
  std::size_t events = queue_.take(batch, 0, opts.batch_events_max);
  if (auto failure = wal->failure()) { // a log that cannot be synced must not take more appends
    fail_jobs(batch, failure);
    return;
  }
  results_.clear();
  touched_.clear();
  created_.clear();
  auto first_position = next_position_;
  batch_ms_ = wall_clock_ms();
  if (auto failure = insert_jobs(batch, events)) {
    undo_batch(first_position);
    fail_jobs(batch, failure); // all or nothing: every job of the batch fails
    return;
  }
  committed_batch done{std::move(batch), std::move(results_), next_position_ - 1};
  batch.clear();
  results_.clear();
  wal->submit(std::move(done)); // acked once durable: after its fdatasync, or now
}

caf::error sqlite_journal::impl::insert_jobs(std::vector<job>& batch, std::size_t events) {
  auto* db = wdb_.get();
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    return sql::to_error(rc, db, path, "beginning a batch");
  for (std::size_t next = 0;; ++next) {
    if (next == batch.size() && events < opts.batch_events_max)
      events = queue_.take(batch, events, opts.batch_events_max);
    if (next == batch.size())
      break;
    auto& j = batch[next];
    results_.emplace_back(append_result{});
    auto failure = j.is_snapshot ? write_snapshot(j) : write_append(j, results_.back());
    if (failure)
      return failure;
  }
  if ((rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr)) != SQLITE_OK)
    return sql::to_error(rc, db, path, "committing a batch");
  return caf::none;
}

void sqlite_journal::impl::fail_jobs(std::vector<job>& jobs, const caf::error& failure) {
  for (auto& j : jobs)
    if (!j.is_snapshot)
      j.done(failure);
}

void sqlite_journal::impl::complete(std::vector<committed_batch>& batches) {
  // The position first: an acked client that asks committed_position() sees its own append.
  auto before = committed.load();
  auto position = batches.back().last_position;
  DCA_ASSERT(position >= before); // the durable position only grows
  committed = position;
  for (auto& b : batches)
    for (std::size_t k = 0; k < b.jobs.size(); ++k)
      if (!b.jobs[k].is_snapshot)
        b.jobs[k].done(std::move(b.results[k]));
  if (position != before)
    listeners.notify(position);
}

void sqlite_journal::impl::publish(std::vector<committed_batch>& group, const caf::error& failure) {
  if (failure)
    for (auto& b : group)
      fail_jobs(b.jobs, failure);
  else
    complete(group);
}

caf::error sqlite_journal::impl::write_append(job& j, caf::expected<append_result>& result) {
  auto i = streams_.find(j.req.entity);
  auto head = i == streams_.end() ? 0 : i->second.head;
  if (head != j.req.expected_seq) {
    result = sequence_conflict_error(j.req, head);
    return caf::none;
  }
  if (i == streams_.end()) {
    insert_stream_.bind(1, j.req.entity.type);
    insert_stream_.bind(2, j.req.entity.key);
    auto rc = insert_stream_.step();
    insert_stream_.reset();
    if (rc != SQLITE_DONE)
      return sql::to_error(rc, wdb_.get(), path, "creating a stream");
    i = streams_.emplace(j.req.entity, stream_info{sqlite3_last_insert_rowid(wdb_.get()), 0}).first;
    created_.push_back(j.req.entity);
  } else {
    touched_.emplace_back(&i->second, i->second.head);
  }
  auto& info = i->second;
  append_result res;
  res.first_seq = info.head + 1;
  res.first_position = next_position_;
  const auto& events = j.req.events;
  for (std::size_t k = 0; k < events.size(); ++k) {
    // The idempotency key goes on the command's last event.
    auto last = k + 1 == events.size() && !j.req.idempotency_key.empty();
    if (auto err = insert_event(info, events[k], last ? &j.req.idempotency_key : nullptr))
      return err;
    ++next_position_;
    ++info.head;
  }
  res.last_seq = info.head;
  res.last_position = next_position_ - 1;
  result = res;
  return caf::none;
}

caf::error sqlite_journal::impl::insert_event(const stream_info& info, const event_data& ev,
                                              const std::string* key) {
  insert_event_.bind(1, static_cast<std::int64_t>(next_position_));
  insert_event_.bind(2, info.id);
  insert_event_.bind(3, static_cast<std::int64_t>(info.head + 1));
  insert_event_.bind(4, ev.type);
  insert_event_.bind_blob(5, ev.payload);
  insert_event_.bind(6, ev.text);
  if (key != nullptr)
    insert_event_.bind(7, *key);
  else
    insert_event_.bind_null(7);
  insert_event_.bind(8, batch_ms_);
  auto rc = insert_event_.step();
  insert_event_.reset();
  return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, wdb_.get(), path, "appending an event");
}

caf::error sqlite_journal::impl::write_snapshot(job& j) {
  auto i = streams_.find(j.req.entity);
  if (i == streams_.end())
    return caf::none;
  upsert_snapshot_.bind(1, i->second.id);
  upsert_snapshot_.bind(2, static_cast<std::int64_t>(j.snapshot.seq));
  upsert_snapshot_.bind(3, static_cast<std::int64_t>(j.snapshot.position));
  upsert_snapshot_.bind_blob(4, j.snapshot.payload);
  upsert_snapshot_.bind(5, j.snapshot.text);
  auto rc = upsert_snapshot_.step();
  upsert_snapshot_.reset();
  return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, wdb_.get(), path, "writing a snapshot");
}

void sqlite_journal::impl::undo_batch(std::uint64_t first_position) {
  sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  for (auto it = touched_.rbegin(); it != touched_.rend(); ++it)
    it->first->head = it->second;
  for (auto& id : created_)
    streams_.erase(id);
  next_position_ = first_position;
}

} // namespace dca::es
