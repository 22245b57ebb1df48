// The PostgreSQL journal: its facade, opening (connections, the schema, the last position),
// following other processes' commits (LISTEN), and the order it is closed in. The writer is in
// postgres_journal_writer.cpp, one group commit in postgres_batch.cpp, the reads in
// postgres_journal_reads.cpp, the schema in postgres_schema.cpp.
#include "dca/es/postgres_journal.hpp"

#include <poll.h>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "postgres_journal_impl.hpp"
#include "postgres_schema.hpp"

namespace dca::es {

// -- the facade -----------------------------------------------------------------------------------

postgres_journal::postgres_journal(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

postgres_journal::~postgres_journal() = default;

caf::expected<std::shared_ptr<postgres_journal>>
postgres_journal::open(const std::string& conninfo, postgres_journal_options opts) {
  auto state = std::make_unique<impl>(conninfo, std::move(opts));
  if (auto err = state->init())
    return err;
  return std::shared_ptr<postgres_journal>{new postgres_journal(std::move(state))};
}

void postgres_journal::append(append_request req, append_callback done) {
  impl_->append(std::move(req), std::move(done));
}

caf::error postgres_journal::read_stream(const entity_id& entity, std::uint64_t from_seq,
                                         std::size_t max, std::vector<event_record>& out) {
  return impl_->read_stream(entity, from_seq, max, out);
}

caf::error postgres_journal::read_all(std::uint64_t after, std::size_t max,
                                      std::vector<event_record>& out) {
  return impl_->read_all(after, max, out);
}

caf::expected<std::optional<snapshot_record>>
postgres_journal::load_snapshot(const entity_id& entity) {
  return impl_->load_snapshot(entity);
}

void postgres_journal::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  impl_->save_snapshot(entity, std::move(snapshot));
}

std::uint64_t postgres_journal::committed_position() const {
  return impl_->committed.load();
}

int postgres_journal::subscribe(commit_listener listener) {
  return impl_->listeners.add(std::move(listener));
}

void postgres_journal::unsubscribe(int id) {
  impl_->listeners.remove(id);
}

void postgres_journal::run_io(std::function<void()> task) {
  impl_->io->submit(std::move(task));
}

void postgres_journal::close() {
  impl_->close();
}

std::uint64_t postgres_journal::commits() const noexcept {
  return impl_->commits.load();
}

// -- opening --------------------------------------------------------------------------------------

postgres_journal::impl::impl(std::string journal_conninfo, postgres_journal_options options)
    : conninfo(std::move(journal_conninfo)), opts(std::move(options)),
      queue_("postgres journal", opts.append_queue_max) {
  DCA_ASSERT(opts.batch_events_max > 0);
  DCA_ASSERT(opts.append_queue_max > 0);
  DCA_ASSERT(opts.read_connections_max > 0);
}

caf::error postgres_journal::impl::init() {
  auto conn = pg::connect(conninfo);
  if (!conn)
    return conn.error();
  wconn_ = std::move(*conn);
  if (auto err = pg_schema::create_or_check(wconn_.get()))
    return err;
  if (opts.follow_other_writers) { // listening first: no commit falls between the read and it
    auto lconn = pg::connect(conninfo);
    if (!lconn)
      return lconn.error();
    lconn_ = std::move(*lconn);
    if (auto err = pg::exec(lconn_.get(), "LISTEN dca_journal", "listening for commits"))
      return err;
  }
  auto last = pg::exec(wconn_.get(), pg_schema::last_position_sql, {}, "reading the last position");
  if (!last)
    return last.error();
  committed = static_cast<std::uint64_t>(pg::int64(last->get(), 0, 0));
  io = std::make_unique<io_threads>(opts.read_connections_max);
  writer_ = std::thread{[this] { run_writer(); }};
  if (lconn_)
    listener_ = std::thread{[this] { run_listener(); }};
  return caf::none;
}

bool postgres_journal::impl::raise_committed(std::uint64_t position) {
  auto before = committed.load();
  while (position > before && !committed.compare_exchange_weak(before, position)) {
  }
  return position > before;
}

void postgres_journal::impl::advance(std::uint64_t position) {
  if (raise_committed(position))
    listeners.notify(position);
}

// -- following the other processes' commits
// --------------------------------------------------------

bool postgres_journal::impl::await_notifications() {
  pollfd fd{PQsocket(lconn_.get()), POLLIN, 0};
  // Bounded so that close() is noticed within this time.
  constexpr int poll_timeout_ms = 100;
  if (fd.fd < 0 || ::poll(&fd, 1, poll_timeout_ms) < 0)
    return false;
  if (PQconsumeInput(lconn_.get()) == 0)
    return false;
  while (auto* n = PQnotifies(lconn_.get())) {
    auto position = std::strtoull(n->extra, nullptr, 10);
    PQfreemem(n);
    advance(position);
  }
  return true;
}

void postgres_journal::impl::run_listener() {
  while (!listener_stop_) {
    if (await_notifications())
      continue;
    // The connection broke: reconnect, listen again, and catch up on what was missed meanwhile.
    PQreset(lconn_.get());
    if (PQstatus(lconn_.get()) != CONNECTION_OK ||
        pg::exec(lconn_.get(), "LISTEN dca_journal", "listening for commits")) {
      pollfd none{-1, 0, 0};
      ::poll(&none, 0, 1000); // the server is away: retry once a second until close()
      continue;
    }
    auto last = pg::exec(lconn_.get(), pg_schema::last_position_sql, {}, "reading the position");
    if (last)
      advance(static_cast<std::uint64_t>(pg::int64(last->get(), 0, 0)));
  }
}

// -- closing --------------------------------------------------------------------------------------

postgres_journal::impl::~impl() {
  close();
}

void postgres_journal::impl::close() {
  if (io) // the reads already asked for still get their answers
    io->stop();
  queue_.stop();
  if (writer_.joinable()) // drains the queue
    writer_.join();
  listener_stop_ = true;
  if (listener_.joinable())
    listener_.join();
}

} // namespace dca::es
