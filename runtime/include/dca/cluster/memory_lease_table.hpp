// The lease table in memory, for deterministic tests: the cluster's nodes share one object as
// they would share PostgreSQL. Every epoch it grants it also sets on the memory journal it fences
// (memory_journal::set_shard_epoch), under the same lock, as PostgreSQL would in one database.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "dca/cluster/lease_table.hpp"
#include "dca/es/memory_journal.hpp"

namespace dca::cluster {

class memory_lease_table : public lease_table {
public:
  explicit memory_lease_table(std::shared_ptr<dca::es::memory_journal> fenced);

  caf::expected<shard_lease> acquire(std::uint32_t shard, const std::string& node,
                                     lease_clock::time_point now,
                                     std::chrono::milliseconds ttl) override;
  caf::error release(std::uint32_t shard, const std::string& node, std::uint64_t epoch) override;
  caf::expected<std::vector<shard_lease>> leases(lease_clock::time_point now) override;

private:
  std::mutex mtx_;
  std::map<std::uint32_t, shard_lease> rows_;
  std::shared_ptr<dca::es::memory_journal> fenced_;
};

} // namespace dca::cluster
