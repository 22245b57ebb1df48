// The in-memory journal: one mutex, a deque as the global log, an index per stream.
#include "dca/es/memory_journal.hpp"

#include <algorithm>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "journal_refusals.hpp"

namespace dca::es {

void memory_journal::append(append_request req, append_callback done) {
  append_result res;
  {
    std::unique_lock<std::mutex> guard{mtx_};
    if (failures_pending_ > 0) {
      --failures_pending_;
      guard.unlock();
      done(make_error(errc::journal_io, "memory journal: injected failure"));
      return;
    }
    auto [i, added] = streams_.try_emplace(req.entity);
    auto& st = i->second;
    if (added) {
      st.number = stream_ids_.size();
      stream_ids_.push_back(req.entity);
    }
    if (auto err = refusal(req, st)) {
      guard.unlock();
      done(std::move(err));
      return;
    }
    res.first_seq = st.events.size() + 1;
    res.first_position = log_.size() + 1;
    for (std::size_t k = 0; k < req.events.size(); ++k) {
      auto& ev = req.events[k];
      st.events.push_back(log_.size());
      auto& rec = log_.emplace_back();
      rec.stream = st.number;
      rec.seq = st.events.size();
      rec.type = std::move(ev.type);
      rec.payload = std::move(ev.payload);
      rec.text = std::move(ev.text);
      if (k + 1 == req.events.size())
        rec.idempotency_key = std::move(req.idempotency_key);
    }
    res.last_seq = st.events.size();
    res.last_position = log_.size();
  }
  done(res);
  listeners_.notify(res.last_position);
}

caf::error memory_journal::refusal(const append_request& req, const stream& st) const {
  if (req.fence) {
    // Checked though not stored (this journal is not verified): the same contract as PostgreSQL's.
    DCA_ASSERT_MSG(!req.fence->owner.empty(), "a fenced append names its owner");
    auto i = shard_epochs_.find(req.fence->shard);
    if (i == shard_epochs_.end())
      return stale_epoch_error(req, std::nullopt);
    if (i->second != req.fence->epoch)
      return stale_epoch_error(req, i->second);
  }
  if (st.events.size() != req.expected_seq)
    return sequence_conflict_error(req, st.events.size());
  return caf::none;
}

event_record memory_journal::record_at(std::size_t index) const {
  auto& rec = log_[index];
  return event_record{index + 1, stream_ids_[rec.stream], rec.seq, rec.type, rec.payload,
                      rec.text,  rec.idempotency_key};
}

caf::error memory_journal::read_stream(const entity_id& entity, std::uint64_t from_seq,
                                       std::size_t max, std::vector<event_record>& out) {
  out.clear();
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = streams_.find(entity);
  if (i == streams_.end())
    return caf::none;
  auto& idx = i->second.events;
  for (auto seq = std::max<std::uint64_t>(from_seq, 1); seq <= idx.size() && out.size() < max;
       ++seq)
    out.push_back(record_at(idx[seq - 1]));
  return caf::none;
}

caf::expected<std::size_t> memory_journal::replay_stream(const entity_id& entity,
                                                         std::uint64_t from_seq, std::size_t max,
                                                         const event_visitor& visit) {
  // Stored events never change once appended and the deque keeps them in place on emplace_back,
  // so the visitor (decode + apply: not ours) runs outside the lock on the stored events.
  std::vector<std::pair<std::size_t, const stored_event*>> batch; // (index, event)
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = streams_.find(entity);
    if (i == streams_.end())
      return std::size_t{0};
    auto& idx = i->second.events;
    for (auto seq = std::max<std::uint64_t>(from_seq, 1); seq <= idx.size() && batch.size() < max;
         ++seq)
      batch.emplace_back(idx[seq - 1], &log_[idx[seq - 1]]);
  }
  for (auto [index, rec] : batch)
    if (auto err = visit(event_view{index + 1, rec->seq, rec->type,
                                    byte_view{rec->payload.data(), rec->payload.size()},
                                    rec->idempotency_key}))
      return err;
  return batch.size();
}

caf::error memory_journal::read_all(std::uint64_t after, std::size_t max,
                                    std::vector<event_record>& out) {
  out.clear();
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto pos = after + 1; pos <= log_.size() && out.size() < max; ++pos)
    out.push_back(record_at(pos - 1));
  return caf::none;
}

caf::expected<std::optional<snapshot_record>>
memory_journal::load_snapshot(const entity_id& entity) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = snapshots_.find(entity);
  if (i == snapshots_.end())
    return std::optional<snapshot_record>{};
  return std::optional<snapshot_record>{i->second};
}

void memory_journal::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  std::lock_guard<std::mutex> guard{mtx_};
  snapshots_[entity] = std::move(snapshot);
}

std::uint64_t memory_journal::committed_position() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return log_.size();
}

int memory_journal::subscribe(commit_listener listener) {
  return listeners_.add(std::move(listener));
}

void memory_journal::unsubscribe(int id) {
  listeners_.remove(id);
}

void memory_journal::set_shard_epoch(std::uint32_t shard, std::uint64_t epoch) {
  std::lock_guard<std::mutex> guard{mtx_};
  shard_epochs_[shard] = epoch;
}

void memory_journal::fail_next_appends(int n) {
  std::lock_guard<std::mutex> guard{mtx_};
  failures_pending_ = n;
}

} // namespace dca::es
