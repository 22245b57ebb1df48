// The shared journal: PostgreSQL, written by any number of processes (nodes) at once. One writer
// thread per process does group commit (everything queued while the previous commit was in
// flight, in one transaction, its events sent with one binary COPY), each append checked against
// its stream's head and, when fenced, against its shard's current lease epoch, in the transaction
// that writes it. A pool of read connections serves recoveries and projections on the journal's
// own I/O threads, and a LISTEN connection follows the commits of the other processes, so
// projections follow every node's writes.
//
// Global positions are gap-free and a projection never skips one: the writer assigns them while it
// holds the row lock of dca_positions, taken first in its transaction and released at commit, so
// transactions that write positions commit in position order, and a reader that sees position N
// committed sees every position below it (no BIGSERIAL: with one, A takes 10, B takes 11 and
// commits first, and a reader that saw 11 moves past 10 for good). The price: the processes'
// commits are serialised, which group commit pays for (one lock per batch, not per event).
//
// The schema is created on first open and versioned (dca_journal_schema); runtime/src/es/
// postgres_schema.cpp shows it. Implementation: runtime/src/es/postgres_*. Measured against a raw
// COPY loop on the same schema by bench/es/postgres_append_bench.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "dca/es/journal.hpp"

namespace dca::es {

struct postgres_journal_options {
  /// The most events one group commit writes (the batch grows up to this under load).
  std::size_t batch_events_max = 4096;
  /// Requests waiting for the writer; past this, appends fail with errc::overloaded.
  std::size_t append_queue_max = 100'000;
  /// Read connections shared by recoveries and projections, and the I/O threads they read on.
  std::size_t read_connections_max = 4;
  /// Follow the commits of other processes (LISTEN dca_journal) for committed_position() and the
  /// commit listeners. false: only this process's commits are seen as they happen.
  bool follow_other_writers = true;
};

class postgres_journal final : public journal {
public:
  /// Connects to `conninfo` (a libpq connection string or URL: "host=/run/pg dbname=x",
  /// "postgresql:///x?host=/run/pg") and creates the schema if the database has none. Fails with
  /// one line: the server cannot be reached, the schema is newer than this dca's, or the database
  /// holds tables of the journal's names that are not a dca journal. Writes nothing it refuses.
  static caf::expected<std::shared_ptr<postgres_journal>> open(const std::string& conninfo,
                                                               postgres_journal_options opts = {});

  ~postgres_journal() override;

  void append(append_request req, append_callback done) override;
  caf::error read_stream(const entity_id& entity, std::uint64_t from_seq, std::size_t max,
                         std::vector<event_record>& out) override;
  caf::error read_all(std::uint64_t after, std::size_t max,
                      std::vector<event_record>& out) override;
  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& entity) override;
  void save_snapshot(const entity_id& entity, snapshot_record snapshot) override;
  std::uint64_t committed_position() const override;
  int subscribe(commit_listener listener) override;
  void unsubscribe(int id) override;
  /// Reads go over the network: recoveries and projections read on the journal's I/O threads.
  bool reads_block() const noexcept override { return true; }
  void run_io(std::function<void()> task) override;

  /// Stops the writer after it drains the queue. Called by the destructor.
  void close();

  /// Group commits done by this process (for benchmarks and tests).
  std::uint64_t commits() const noexcept;

  class impl; // runtime/src/es/postgres_journal_impl.hpp

private:
  explicit postgres_journal(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace dca::es
