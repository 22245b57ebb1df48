// One group commit of the PostgreSQL journal, step by step (postgres_batch.hpp).
#include "postgres_batch.hpp"

#include <set>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "journal_refusals.hpp"
#include "postgres_schema.hpp"

namespace dca::es {

namespace {

/// $1 the entities' types, $2 their keys, as arrays for unnest.
pg::params entity_arrays(const std::vector<const entity_id*>& entities) {
  std::vector<std::string_view> types;
  std::vector<std::string_view> keys;
  for (auto* e : entities) {
    types.push_back(e->type);
    keys.push_back(e->key);
  }
  return pg::params{}.text(pg::text_array(types)).text(pg::text_array(keys));
}

} // namespace

postgres_batch::postgres_batch(PGconn* conn, pg_stream_ids& ids, bool read_all_heads)
    : conn_(conn), ids_(ids), read_all_heads_(read_all_heads) {}

caf::error postgres_batch::begin() {
  if (auto err = pg::exec(conn_, "BEGIN", "beginning a batch"))
    return err;
  auto last = pg::exec(conn_, pg_schema::lock_positions_sql, {}, "locking the positions");
  if (!last)
    return last.error();
  DCA_ASSERT(PQntuples(last->get()) == 1);
  first_position_ = next_position_ = static_cast<std::uint64_t>(pg::int64(last->get(), 0, 0)) + 1;
  return caf::none;
}

caf::error postgres_batch::write(std::vector<journal_job>& jobs) {
  DCA_ASSERT(next_position_ > 0); // begin() first
  results_.clear();
  copy_.clear();
  if (auto err = read_fences(jobs))
    return err;
  if (auto err = resolve_streams(jobs))
    return err;
  if (auto err = read_heads())
    return err;
  auto written_at_ms = wall_clock_ms();
  for (auto& j : jobs)
    results_.push_back(j.is_snapshot ? caf::expected<append_result>{append_result{}}
                                     : place(j.req, written_at_ms));
  if (copy_.rows() > 0)
    if (auto err = copy_.finish(conn_, pg_schema::copy_events_sql, "appending events"))
      return err;
  return write_snapshots(jobs);
}

caf::error postgres_batch::commit() {
  if (next_position_ != first_position_) {
    auto res = pg::exec(conn_, pg_schema::advance_positions_sql,
                        pg::params{}.int64(static_cast<std::int64_t>(last_position())),
                        "advancing the positions");
    if (!res)
      return res.error();
  }
  auto res = pg::exec(conn_, "COMMIT", {}, "committing a batch");
  if (!res)
    return res.error();
  // libpq answers a COMMIT of a failed transaction with the tag ROLLBACK, not an error.
  if (std::string_view{PQcmdStatus(res->get())} != "COMMIT")
    return make_error(errc::journal_io, "postgres " + pg::describe(conn_) +
                                            ": committing a batch: the server rolled it back");
  for (auto& [entity, st] : streams_)
    if (st.id != 0)
      ids_[entity] = pg_stream_cache_entry{st.id, st.head};
  return caf::none;
}

void postgres_batch::roll_back() {
  pg::exec(conn_, "ROLLBACK", "rolling back a batch");
  streams_.clear();
  next_position_ = first_position_;
}

// -- the checks -----------------------------------------------------------------------------------

caf::error postgres_batch::read_fences(const std::vector<journal_job>& jobs) {
  epochs_.clear();
  std::vector<std::int64_t> shards;
  for (auto& j : jobs)
    if (!j.is_snapshot && j.req.fence)
      shards.push_back(j.req.fence->shard);
  if (shards.empty())
    return caf::none;
  // A share lock on each lease row: a takeover (an UPDATE of the row) waits until this batch has
  // committed, and this batch reads the epoch a takeover committed before it.
  auto res = pg::exec(conn_, pg_schema::lease_epochs_sql,
                      pg::params{}.text(pg::int64_array(shards)), "reading shard epochs");
  if (!res)
    return res.error();
  for (int r = 0; r < PQntuples(res->get()); ++r)
    epochs_[static_cast<std::uint32_t>(pg::int64(res->get(), r, 0))] =
        static_cast<std::uint64_t>(pg::int64(res->get(), r, 1));
  return caf::none;
}

caf::error postgres_batch::resolve_streams(const std::vector<journal_job>& jobs) {
  streams_.clear();
  std::vector<const entity_id*> unknown;
  std::vector<const entity_id*> to_create; // only a stream's first append may create it
  for (auto& j : jobs) {
    auto& e = j.req.entity;
    if (j.is_snapshot || streams_.count(e) > 0)
      continue;
    auto i = ids_.find(e);
    if (i != ids_.end()) {
      auto trusted = !read_all_heads_ && i->second.head == j.req.expected_seq;
      streams_.emplace(e, stream_state{i->second.id, i->second.head, !trusted});
      continue;
    }
    streams_.emplace(e, stream_state{});
    unknown.push_back(&e);
    if (j.req.expected_seq == 0)
      to_create.push_back(&e);
  }
  if (unknown.empty())
    return caf::none;
  if (!to_create.empty()) {
    auto res = pg::exec(conn_, pg_schema::create_streams_sql, entity_arrays(to_create),
                        "creating streams");
    if (!res)
      return res.error();
  }
  return find_streams(unknown);
}

caf::error postgres_batch::find_streams(const std::vector<const entity_id*>& entities) {
  auto res =
      pg::exec(conn_, pg_schema::find_streams_sql, entity_arrays(entities), "finding streams");
  if (!res)
    return res.error();
  for (int r = 0; r < PQntuples(res->get()); ++r) {
    entity_id e{std::string{pg::text(res->get(), r, 1)}, std::string{pg::text(res->get(), r, 2)}};
    streams_[e].id = pg::int64(res->get(), r, 0);
  }
  return caf::none;
}

caf::error postgres_batch::read_heads() {
  // Read under the positions lock: every writer holds it while it appends, so no head moves
  // between this read and the commit. Trusted cached heads are not read (the constructor says
  // why).
  std::vector<std::int64_t> ids;
  std::unordered_map<std::int64_t, stream_state*> by_id;
  for (auto& [entity, st] : streams_)
    if (st.id != 0 && st.read_head) {
      ids.push_back(st.id);
      by_id[st.id] = &st;
    }
  if (ids.empty())
    return caf::none;
  auto res = pg::exec(conn_, pg_schema::stream_heads_sql, pg::params{}.text(pg::int64_array(ids)),
                      "reading stream heads");
  if (!res)
    return res.error();
  for (int r = 0; r < PQntuples(res->get()); ++r)
    by_id.at(pg::int64(res->get(), r, 0))->head =
        static_cast<std::uint64_t>(pg::int64(res->get(), r, 1));
  return caf::none;
}

// -- the writes -----------------------------------------------------------------------------------

caf::expected<append_result> postgres_batch::place(const append_request& req,
                                                   std::int64_t written_at_ms) {
  DCA_ASSERT(!req.events.empty());
  if (req.fence) {
    DCA_ASSERT_MSG(!req.fence->owner.empty(), "a fenced append names its owner");
    auto i = epochs_.find(req.fence->shard);
    if (i == epochs_.end())
      return stale_epoch_error(req, std::nullopt);
    if (i->second != req.fence->epoch)
      return stale_epoch_error(req, i->second);
  }
  auto& st = streams_.at(req.entity);
  if (st.id == 0 || st.head != req.expected_seq) // id 0: the stream does not exist
    return sequence_conflict_error(req, st.head);
  append_result res{st.head + 1, st.head + req.events.size(), next_position_,
                    next_position_ + req.events.size() - 1};
  for (std::size_t k = 0; k < req.events.size(); ++k) {
    auto& ev = req.events[k];
    copy_.row(11);
    copy_.int64(static_cast<std::int64_t>(next_position_++));
    copy_.int64(st.id);
    copy_.int64(static_cast<std::int64_t>(++st.head));
    copy_.text(ev.type);
    copy_.bytes(ev.payload);
    copy_.text(ev.text);
    if (k + 1 == req.events.size() && !req.idempotency_key.empty())
      copy_.text(req.idempotency_key); // the key goes on the command's last event
    else
      copy_.null();
    copy_.int64(written_at_ms);
    write_fence(req.fence);
  }
  return res;
}

void postgres_batch::write_fence(const std::optional<shard_fence>& fence) {
  if (!fence) {
    copy_.null();
    copy_.null();
    copy_.null();
    return;
  }
  copy_.int64(static_cast<std::int64_t>(fence->shard));
  copy_.int64(static_cast<std::int64_t>(fence->epoch));
  copy_.text(fence->owner);
}

caf::error postgres_batch::write_snapshots(const std::vector<journal_job>& jobs) {
  for (auto& j : jobs) {
    if (!j.is_snapshot)
      continue;
    auto i = ids_.find(j.req.entity);
    auto k = streams_.find(j.req.entity);
    auto id = k != streams_.end() && k->second.id != 0 ? k->second.id
              : i != ids_.end()                        ? i->second.id
                                                       : 0;
    if (id == 0)
      continue; // best effort: a snapshot of a stream this process has not seen is dropped
    auto& s = j.snapshot;
    auto res = pg::exec(conn_, pg_schema::upsert_snapshot_sql,
                        pg::params{}
                            .int64(id)
                            .int64(static_cast<std::int64_t>(s.seq))
                            .int64(static_cast<std::int64_t>(s.position))
                            .bytes(s.payload)
                            .text(s.text),
                        "writing a snapshot");
    if (!res)
      return res.error();
  }
  return caf::none;
}

} // namespace dca::es
