// The nodes' lease table on PostgreSQL (postgres_lease_table.hpp).
#include "dca/cluster/postgres_lease_table.hpp"

#include <set>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "io_threads.hpp"

namespace dca::cluster {

namespace {

// A row of the database converted to the node's clock: it lapses as many ms after `now` as it does
// after the database's `db_now_ms`.
shard_lease on_node_clock(const dca::es::shard_lease& row, std::int64_t db_now_ms,
                          lease_clock::time_point now) {
  return shard_lease{row.shard, row.owner, row.epoch,
                     now + std::chrono::milliseconds{row.expires_at_ms - db_now_ms}};
}

} // namespace

caf::expected<std::shared_ptr<postgres_lease_table>>
postgres_lease_table::open(const std::string& conninfo) {
  auto leases = dca::es::shard_leases::open(conninfo);
  if (!leases)
    return leases.error();
  return std::make_shared<postgres_lease_table>(std::move(*leases));
}

postgres_lease_table::postgres_lease_table(std::unique_ptr<dca::es::shard_leases> leases)
    : leases_(std::move(leases)), io_(std::make_unique<dca::es::io_threads>(1)) {
  DCA_ASSERT(leases_ != nullptr);
}

postgres_lease_table::~postgres_lease_table() = default;

void postgres_lease_table::run_io(std::function<void()> task) {
  io_->submit(std::move(task));
}

void postgres_lease_table::run_pass(lease_pass& pass) {
  for (auto& [shard, epoch] : pass.releases)
    release(shard, pass.node, epoch); // rare: only when members change
  std::unique_lock<std::mutex> guard{mtx_};
  std::vector<std::pair<std::uint32_t, std::uint64_t>> held;
  for (auto shard : pass.claims)
    if (auto it = tenures_.find({shard, pass.node}); it != tenures_.end())
      held.emplace_back(shard, it->second);
  auto renewal = leases_->renew_all(pass.node, held, pass.ttl);
  pass.claimed.clear();
  if (!renewal) {
    // The table cannot be reached: no claim is known, every belief stays (fencing guards it).
    pass.claimed.assign(pass.claims.size(), renewal.error());
    pass.rows = renewal.error();
    return;
  }
  std::vector<shard_lease> rows;
  for (auto& row : renewal->rows)
    rows.push_back(on_node_clock(row, renewal->clock_ms, pass.now));
  pass.rows = std::move(rows);
  std::set<std::uint32_t> renewed{renewal->renewed.begin(), renewal->renewed.end()};
  for (auto shard : pass.claims) {
    auto it = tenures_.find({shard, pass.node});
    if (it != tenures_.end() && renewed.count(shard) > 0) {
      pass.claimed.push_back(shard_lease{shard, pass.node, it->second, pass.now + pass.ttl});
      continue;
    }
    if (it != tenures_.end())
      tenures_.erase(it); // lost to another node: take it again only if it is free
    guard.unlock();
    pass.claimed.push_back(acquire(shard, pass.node, pass.now, pass.ttl));
    guard.lock();
  }
}

caf::expected<shard_lease> postgres_lease_table::acquire(std::uint32_t shard,
                                                         const std::string& node,
                                                         lease_clock::time_point now,
                                                         std::chrono::milliseconds ttl) {
  DCA_ASSERT(!node.empty());
  std::lock_guard<std::mutex> guard{mtx_};
  auto held = tenures_.find({shard, node});
  if (held != tenures_.end()) {
    auto renewed = leases_->renew(shard, node, held->second, ttl);
    if (renewed)
      return shard_lease{shard, node, renewed->epoch, now + ttl};
    if (!dca::es::is(renewed.error(), dca::es::errc::stale_epoch))
      return renewed.error(); // unreachable: the belief stays, fencing guards it
    tenures_.erase(held);     // lost to another node: take it again only if it is free
  }
  auto taken = leases_->acquire(shard, node, ttl);
  if (!taken)
    return taken.error();
  tenures_[{shard, node}] = taken->epoch;
  return shard_lease{shard, node, taken->epoch, now + ttl};
}

caf::error postgres_lease_table::release(std::uint32_t shard, const std::string& node,
                                         std::uint64_t epoch) {
  std::lock_guard<std::mutex> guard{mtx_};
  tenures_.erase({shard, node});
  auto err = leases_->release(shard, node, epoch);
  if (dca::es::is(err, dca::es::errc::stale_epoch))
    return caf::none; // not ours any more: nothing to give up
  return err;
}

caf::expected<std::vector<shard_lease>> postgres_lease_table::leases(lease_clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto rows = leases_->list();
  if (!rows)
    return rows.error();
  auto db_now = leases_->clock_ms();
  if (!db_now)
    return db_now.error();
  std::vector<shard_lease> out;
  for (auto& row : *rows)
    out.push_back(on_node_clock(row, *db_now, now));
  return out;
}

} // namespace dca::cluster
