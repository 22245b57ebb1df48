// The SQLite journal: its facade, opening (validation, pragmas, the schema, the heads) step by
// step, and the order it is closed in. The writer is in sqlite_journal_writer.cpp, the reads in
// sqlite_journal_reads.cpp, the WAL's durability in wal_sync.cpp, the schema in sqlite_schema.cpp.
#include "dca/es/sqlite_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "sqlite_journal_impl.hpp"

namespace dca::es {

namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

wal_sync_options wal_sync_options_of(const sqlite_journal_options& opts) {
  wal_sync_options result;
  result.pipelined = opts.synchronous_full && opts.pipelined_sync;
  result.unsynced_batches_max = opts.unsynced_batches_max;
  result.checkpoint_pages = static_cast<int>(std::min<std::size_t>(opts.checkpoint_pages, INT_MAX));
  result.sync_wait_max = opts.sync_wait_max;
  result.sync_wal = opts.sync_wal;
  return result;
}

} // namespace

// -- the facade -----------------------------------------------------------------------------------

sqlite_journal::sqlite_journal(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

sqlite_journal::~sqlite_journal() = default;

caf::expected<std::shared_ptr<sqlite_journal>> sqlite_journal::open(const std::string& path,
                                                                    sqlite_journal_options opts) {
  auto state = std::make_unique<impl>(path, std::move(opts));
  if (auto err = state->init())
    return err;
  return std::shared_ptr<sqlite_journal>{new sqlite_journal(std::move(state))};
}

void sqlite_journal::append(append_request req, append_callback done) {
  impl_->append(std::move(req), std::move(done));
}

caf::error sqlite_journal::read_stream(const entity_id& entity, std::uint64_t from_seq,
                                       std::size_t max, std::vector<event_record>& out) {
  return impl_->read_stream(entity, from_seq, max, out);
}

caf::expected<std::size_t> sqlite_journal::replay_stream(const entity_id& entity,
                                                         std::uint64_t from_seq, std::size_t max,
                                                         const event_visitor& visit) {
  return impl_->replay_stream(entity, from_seq, max, visit);
}

caf::error sqlite_journal::read_all(std::uint64_t after, std::size_t max,
                                    std::vector<event_record>& out) {
  return impl_->read_all(after, max, out);
}

caf::expected<std::optional<snapshot_record>>
sqlite_journal::load_snapshot(const entity_id& entity) {
  return impl_->load_snapshot(entity);
}

void sqlite_journal::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  impl_->save_snapshot(entity, std::move(snapshot));
}

std::uint64_t sqlite_journal::committed_position() const {
  return impl_->committed.load();
}

int sqlite_journal::subscribe(commit_listener listener) {
  return impl_->listeners.add(std::move(listener));
}

void sqlite_journal::unsubscribe(int id) {
  impl_->listeners.remove(id);
}

void sqlite_journal::run_io(std::function<void()> task) {
  impl_->io->submit(std::move(task));
}

void sqlite_journal::close() {
  impl_->close();
}

const std::string& sqlite_journal::path() const noexcept {
  return impl_->path;
}

std::uint64_t sqlite_journal::commits() const noexcept {
  return impl_->wal->commits();
}

std::uint64_t sqlite_journal::syncs() const noexcept {
  return impl_->wal->syncs();
}

// -- opening --------------------------------------------------------------------------------------

sqlite_journal::impl::impl(std::string journal_path, sqlite_journal_options options)
    : path(std::move(journal_path)), opts(std::move(options)),
      wal(std::make_unique<wal_sync>(
          path, wal_sync_options_of(opts),
          [this](std::vector<committed_batch>& group, const caf::error& failure) {
            publish(group, failure);
          })),
      queue_(path, opts.append_queue_max) {
  DCA_ASSERT(opts.batch_events_max > 0);
  DCA_ASSERT(opts.append_queue_max > 0);
  DCA_ASSERT(opts.read_connections_max > 0);
  DCA_ASSERT(opts.unsynced_batches_max > 0);
}

caf::error sqlite_journal::impl::init() {
  if (auto err = check_access())
    return err;
  if (auto err = open_writer_connection())
    return err;
  if (auto err = lock_file())
    return err;
  // Validate before writing anything: a file we refuse stays as it was.
  auto kind = schema::check(wdb_.get(), path);
  if (!kind)
    return kind.error();
  if (auto err = set_pragmas())
    return err;
  if (auto err = create_schema_if_empty(*kind))
    return err;
  if (auto err = load_heads())
    return err;
  // The WAL exists now (WAL mode is on and the reads above opened it). Sync it once before
  // reporting anything as committed (wal_sync::open_wal says why).
  if (auto err = wal->open_wal(opts.synchronous_full))
    return err;
  committed = next_position_ - 1;
  if (auto err = prepare_writer_statements())
    return err;
  return start_threads();
}

caf::error sqlite_journal::impl::check_access() const {
  bool exists = ::access(path.c_str(), F_OK) == 0;
  if (!exists && ::access(parent_dir(path).c_str(), W_OK) != 0)
    return make_error(errc::journal_read_only,
                      path + ": cannot create the journal: directory not writable");
  if (exists && ::access(path.c_str(), W_OK) != 0)
    return make_error(errc::journal_read_only, path + ": not writable (read-only file)");
  return caf::none;
}

caf::error sqlite_journal::impl::open_writer_connection() {
  sqlite3* raw = nullptr;
  auto rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  wdb_.reset(raw);
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path, "opening");
  if (sqlite3_db_readonly(raw, "main") == 1)
    return make_error(errc::journal_read_only, path + ": opened read-only");
  sqlite3_busy_timeout(raw, 1000);
  return caf::none;
}

// One writing process per journal: the expected-sequence cache is only authoritative then.
caf::error sqlite_journal::impl::lock_file() {
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (lock_fd_ < 0)
    return make_error(errc::journal_io, path + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
    return make_error(errc::journal_locked,
                      path + ": locked by another process (a dca runtime has it open)");
  return caf::none;
}

caf::error sqlite_journal::impl::set_pragmas() {
  auto* raw = wdb_.get();
  if (auto err = sql::exec(raw, "PRAGMA journal_mode=WAL", path))
    return err;
  // Pipelined sync: in WAL mode NORMAL does not sync the WAL at COMMIT (the sync thread does,
  // before any ack), and still syncs at checkpoints: a checkpoint fdatasyncs the WAL before it
  // copies frames into the database file and syncs that file before the WAL is reused, so the
  // database file never holds a frame that is not on disk in the WAL, and a power loss before our
  // fdatasync can lose only unacked commits (their frames fail their checksums and are ignored),
  // never corrupt the file.
  bool full = opts.synchronous_full && !opts.pipelined_sync;
  if (auto err =
          sql::exec(raw, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", path))
    return err;
  if (opts.page_cache_bytes > 0) {
    auto kib = std::min<std::size_t>(opts.page_cache_bytes / 1024, INT_MAX);
    auto pragma = "PRAGMA cache_size=-" + std::to_string(kib);
    if (auto err = sql::exec(raw, pragma.c_str(), path))
      return err;
  }
  // The WAL is checkpointed once it holds checkpoint_pages: by the writer between batches in
  // pipelined mode (wal_sync.cpp says why), by SQLite in COMMIT otherwise.
  if (pipelined()) {
    wal->watch_commits(raw);
    return caf::none;
  }
  auto pages = std::min<std::size_t>(opts.checkpoint_pages, INT_MAX);
  auto pragma = "PRAGMA wal_autocheckpoint=" + std::to_string(pages);
  return sql::exec(raw, pragma.c_str(), path);
}

caf::error sqlite_journal::impl::create_schema_if_empty(schema::file_kind kind) {
  if (kind != schema::file_kind::empty)
    return caf::none;
  auto* raw = wdb_.get();
  if (auto err = sql::exec(raw, "BEGIN IMMEDIATE", path))
    return err;
  if (auto err = sql::exec(raw, schema::create_sql, path)) {
    sql::exec(raw, "ROLLBACK", path);
    return err;
  }
  return sql::exec(raw, "COMMIT", path);
}

// The heads: the writer fences every append against them. And the next global position.
caf::error sqlite_journal::impl::load_heads() {
  auto* raw = wdb_.get();
  sql::statement st;
  if (auto err = sql::statement::prepare(raw, schema::stream_heads_sql, st, path))
    return err;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    streams_.emplace(entity_id{st.text(1), st.text(2)},
                     stream_info{st.int64(0), static_cast<std::uint64_t>(st.int64(3))});
  if (rc != SQLITE_DONE)
    return sql::to_error(rc, raw, path, "loading stream heads");
  if (auto err = sql::statement::prepare(raw, schema::last_position_sql, st, path))
    return err;
  if ((rc = st.step()) != SQLITE_ROW)
    return sql::to_error(rc, raw, path, "reading the last position");
  next_position_ = static_cast<std::uint64_t>(st.int64(0)) + 1;
  return caf::none;
}

caf::error sqlite_journal::impl::start_threads() {
  // One reader up front: a journal that cannot be read fails here, not in a recovery.
  auto r = std::make_unique<reader>();
  if (auto err = open_reader(*r))
    return err;
  readers_.push_back(std::move(r));
  readers_open_ = 1;
  io = std::make_unique<io_threads>(opts.read_connections_max);
  writer_ = std::thread{[this] { run_writer(); }};
  if (pipelined())
    wal->start();
  return caf::none;
}

// -- closing --------------------------------------------------------------------------------------

sqlite_journal::impl::~impl() {
  close();
  readers_.clear();
  insert_event_ = sql::statement{};
  insert_stream_ = sql::statement{};
  upsert_snapshot_ = sql::statement{};
  if (wdb_) // the hook points at wal, which goes first
    sqlite3_wal_hook(wdb_.get(), nullptr, nullptr);
  wal.reset(); // the WAL fd: before the last connection closes (and SQLite deletes the WAL)
  wdb_.reset();
  if (lock_fd_ >= 0)
    ::close(lock_fd_);
}

void sqlite_journal::impl::close() {
  if (io) // the reads already asked for still get their answers
    io->stop();
  queue_.stop();
  if (writer_.joinable()) // drains the queue; the sync thread still acks what it commits
    writer_.join();
  wal->stop(); // the sync thread drains what the writer committed
}

} // namespace dca::es
