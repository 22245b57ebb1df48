// The PostgreSQL journal's writer thread: adaptive group commit (each transaction takes what
// queued while the previous one was in flight, up to batch_events_max events; no timer), the
// steps of each in postgres_batch.cpp, and what a failed batch answers.
#include <optional>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "postgres_journal_impl.hpp"
#include "postgres_schema.hpp"

namespace dca::es {

void postgres_journal::impl::append(append_request req, append_callback done) {
  queue_.append(std::move(req), std::move(done));
}

void postgres_journal::impl::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  queue_.save_snapshot(entity, std::move(snapshot));
}

void postgres_journal::impl::run_writer() {
  std::vector<job> batch;
  while (queue_.wait()) { // until stopped and drained
    batch.clear();
    queue_.take(batch, 0, opts.batch_events_max);
    write_batch(batch);
  }
}

void postgres_journal::impl::write_batch(std::vector<job>& batch) {
  std::optional<postgres_batch> tx;
  auto attempt = [&](bool read_all_heads) {
    tx.emplace(wconn_.get(), ids_, read_all_heads);
    auto failure = tx->begin();
    return failure ? failure : tx->write(batch);
  };
  auto failure = attempt(false);
  if (is(failure, errc::sequence_conflict)) {
    // A trusted cached head was stale: another process moved a stream on. Once more, reading
    // every head, so that each append gets its own answer (for that one: a sequence conflict).
    tx->roll_back();
    failure = attempt(true);
  }
  if (!failure)
    failure = tx->commit();
  if (failure) { // all or nothing: every append of the batch fails, and none was written
    tx->roll_back();
    fail_jobs(batch, failure);
    if (PQstatus(wconn_.get()) != CONNECTION_OK)
      PQreset(wconn_.get()); // the next batch tries a new connection
    end_stalled_copies();
    return;
  }
  ++commits;
  // The position first: an acked client that asks committed_position() sees its own append.
  auto position = tx->last_position();
  auto raised = raise_committed(position);
  for (std::size_t k = 0; k < batch.size(); ++k)
    if (!batch[k].is_snapshot)
      batch[k].done(std::move(tx->results()[k]));
  if (raised)
    listeners.notify(position);
}

void postgres_journal::impl::end_stalled_copies() {
  // A failed batch is most often one that waited statement_ms for the positions lock: if its
  // holder is a COPY whose process was stopped, only ending that session frees the lock.
  auto ended = pg::exec(wconn_.get(), pg_schema::end_stalled_copies_sql,
                        pg::params{}.int64(pg::idle_in_transaction_ms), "ending stalled copies");
  (void)ended; // best effort: the next batch's failure tries again
}

void postgres_journal::impl::fail_jobs(std::vector<job>& jobs, const caf::error& failure) {
  for (auto& j : jobs)
    if (!j.is_snapshot)
      j.done(failure);
}

} // namespace dca::es
