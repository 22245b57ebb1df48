// The PostgreSQL journal's reads: a pool of connections (opened on demand, at most
// read_connections_max), one stream in seq order, the global log in position order, snapshots.
// read_all needs no bound of its own: positions commit in order (postgres_journal.hpp), so every
// snapshot of the table holds a gap-free prefix of them.
#include "dca/es/errors.hpp"
#include "postgres_journal_impl.hpp"
#include "postgres_schema.hpp"

namespace dca::es {

caf::error postgres_journal::impl::with_reader(const read_fn& read) {
  pg::conn_ptr conn;
  {
    std::unique_lock<std::mutex> guard{readers_mtx_};
    readers_cv_.wait(
        guard, [this] { return !readers_.empty() || readers_open_ < opts.read_connections_max; });
    if (!readers_.empty()) {
      conn = std::move(readers_.back());
      readers_.pop_back();
    } else {
      ++readers_open_;
    }
  }
  caf::error failure;
  if (!conn) {
    auto opened = pg::connect(conninfo);
    if (opened)
      conn = std::move(*opened);
    else
      failure = opened.error();
  }
  if (conn)
    failure = read(conn.get());
  std::lock_guard<std::mutex> guard{readers_mtx_};
  if (conn && PQstatus(conn.get()) == CONNECTION_OK)
    readers_.push_back(std::move(conn));
  else
    --readers_open_; // a broken connection is dropped; the next read opens a new one
  readers_cv_.notify_one();
  return failure;
}

caf::error postgres_journal::impl::read_stream(const entity_id& entity, std::uint64_t from_seq,
                                               std::size_t max, std::vector<event_record>& out) {
  out.clear();
  return with_reader([&](PGconn* conn) -> caf::error {
    auto res = pg::exec(conn, pg_schema::read_stream_sql,
                        pg::params{}
                            .text(entity.type)
                            .text(entity.key)
                            .int64(static_cast<std::int64_t>(from_seq))
                            .int64(static_cast<std::int64_t>(max)),
                        "reading a stream");
    if (!res)
      return res.error();
    auto* r = res->get();
    for (int i = 0; i < PQntuples(r); ++i)
      out.push_back(event_record{static_cast<std::uint64_t>(pg::int64(r, i, 0)), entity,
                                 static_cast<std::uint64_t>(pg::int64(r, i, 1)),
                                 std::string{pg::text(r, i, 2)}, pg::bytes(r, i, 3),
                                 std::string{pg::text(r, i, 4)}, std::string{pg::text(r, i, 5)}});
    return caf::none;
  });
}

caf::error postgres_journal::impl::read_all(std::uint64_t after, std::size_t max,
                                            std::vector<event_record>& out) {
  out.clear();
  return with_reader([&](PGconn* conn) -> caf::error {
    auto res = pg::exec(
        conn, pg_schema::read_all_sql,
        pg::params{}.int64(static_cast<std::int64_t>(after)).int64(static_cast<std::int64_t>(max)),
        "reading the log");
    if (!res)
      return res.error();
    auto* r = res->get();
    for (int i = 0; i < PQntuples(r); ++i)
      out.push_back(event_record{
          static_cast<std::uint64_t>(pg::int64(r, i, 0)),
          entity_id{std::string{pg::text(r, i, 1)}, std::string{pg::text(r, i, 2)}},
          static_cast<std::uint64_t>(pg::int64(r, i, 3)), std::string{pg::text(r, i, 4)},
          pg::bytes(r, i, 5), std::string{pg::text(r, i, 6)}, std::string{pg::text(r, i, 7)}});
    return caf::none;
  });
}

caf::expected<std::optional<snapshot_record>>
postgres_journal::impl::load_snapshot(const entity_id& entity) {
  std::optional<snapshot_record> snapshot;
  auto failure = with_reader([&](PGconn* conn) -> caf::error {
    auto res = pg::exec(conn, pg_schema::load_snapshot_sql,
                        pg::params{}.text(entity.type).text(entity.key), "loading a snapshot");
    if (!res)
      return res.error();
    auto* r = res->get();
    if (PQntuples(r) == 1)
      snapshot = snapshot_record{static_cast<std::uint64_t>(pg::int64(r, 0, 0)),
                                 static_cast<std::uint64_t>(pg::int64(r, 0, 1)), pg::bytes(r, 0, 2),
                                 std::string{pg::text(r, 0, 3)}};
    return caf::none;
  });
  if (failure)
    return failure;
  return snapshot;
}

} // namespace dca::es
