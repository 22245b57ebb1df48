// The in-memory lease table (memory_lease_table.hpp), and the lease table interface's default
// pass (one call per shard, inline).
#include "dca/cluster/memory_lease_table.hpp"

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"

namespace dca::cluster {

lease_table::~lease_table() = default;

void lease_table::run_pass(lease_pass& pass) {
  for (auto& [shard, epoch] : pass.releases)
    release(shard, pass.node, epoch);
  pass.claimed.clear();
  for (auto shard : pass.claims)
    pass.claimed.push_back(acquire(shard, pass.node, pass.now, pass.ttl));
  pass.rows = leases(pass.now);
}

void lease_table::run_io(std::function<void()> task) {
  task();
}

memory_lease_table::memory_lease_table(std::shared_ptr<dca::es::memory_journal> fenced)
    : fenced_(std::move(fenced)) {
  DCA_ASSERT(fenced_ != nullptr);
}

caf::expected<shard_lease> memory_lease_table::acquire(std::uint32_t shard, const std::string& node,
                                                       lease_clock::time_point now,
                                                       std::chrono::milliseconds ttl) {
  DCA_ASSERT(!node.empty());
  std::lock_guard<std::mutex> guard{mtx_};
  auto& row = rows_[shard];
  row.shard = shard;
  auto running = !row.owner.empty() && row.expires_at > now;
  if (running && row.owner != node)
    return dca::es::make_error(dca::es::errc::lease_held,
                               "shard " + std::to_string(shard) + " is held by node " + row.owner +
                                   " at epoch " + std::to_string(row.epoch));
  if (row.owner != node || !running) {
    row.owner = node;
    ++row.epoch;
    fenced_->set_shard_epoch(shard, row.epoch);
  }
  row.expires_at = now + ttl;
  return row;
}

caf::error memory_lease_table::release(std::uint32_t shard, const std::string& node,
                                       std::uint64_t epoch) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = rows_.find(shard);
  if (it != rows_.end() && it->second.owner == node && it->second.epoch == epoch) {
    it->second.owner.clear();
    it->second.expires_at = {};
  }
  return caf::none;
}

caf::expected<std::vector<shard_lease>> memory_lease_table::leases(lease_clock::time_point) {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<shard_lease> out;
  for (auto& [shard, row] : rows_)
    out.push_back(row);
  return out;
}

} // namespace dca::cluster
