// Shard leases in etcd, epochs in the journal's fence (etcd_lease_table.hpp).
#include "dca/cluster/etcd_lease_table.hpp"

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"

namespace dca::cluster {

namespace {

std::chrono::seconds whole_seconds(std::chrono::milliseconds ttl) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(ttl + std::chrono::milliseconds{999});
  return std::max(s, std::chrono::seconds{1});
}

/// An etcd failure as the lease table's caller sees it: the etcd client's own one line.
caf::error etcd_failed(const caf::error& err, const std::string& doing) {
  return dca::es::prefixed(err, doing + ": ");
}

caf::error held_by(std::uint32_t shard, const std::string& node,
                   const caf::expected<dca::services::etcd_range>& holder) {
  auto who = holder && holder->kv
                 ? holder->kv->value + " at epoch " + std::to_string(holder->kv->mod_revision)
                 : std::string{"another node"};
  return dca::es::make_error(dca::es::errc::lease_held, "shard " + std::to_string(shard) +
                                                            " is held by " + who + ", not " + node);
}

} // namespace

caf::expected<std::shared_ptr<etcd_lease_table>>
etcd_lease_table::open(std::vector<std::string> etcd_endpoints, const std::string& conninfo,
                       std::string prefix) {
  auto fences = dca::es::shard_leases::open(conninfo);
  if (!fences)
    return fences.error();
  return std::make_shared<etcd_lease_table>(dca::services::etcd_client{std::move(etcd_endpoints)},
                                            std::move(*fences), std::move(prefix));
}

etcd_lease_table::etcd_lease_table(dca::services::etcd_client etcd,
                                   std::unique_ptr<dca::es::shard_leases> fences,
                                   std::string prefix)
    : etcd_(std::move(etcd)), fences_(std::move(fences)), prefix_(std::move(prefix)) {
  DCA_ASSERT(fences_ != nullptr);
}

caf::expected<shard_lease> etcd_lease_table::acquire(std::uint32_t shard, const std::string& node,
                                                     lease_clock::time_point now,
                                                     std::chrono::milliseconds ttl) {
  DCA_ASSERT(!node.empty());
  std::lock_guard<std::mutex> guard{mtx_};
  auto held = tenures_.find({shard, node});
  if (held != tenures_.end()) {
    auto left_s = etcd_.keep_alive(held->second.lease_id);
    if (!left_s) // no quorum: the belief stays, the journal's fence guards it
      return etcd_failed(left_s.error(), "renewing shard " + std::to_string(shard));
    if (*left_s > 0)
      return shard_lease{shard, node, held->second.epoch, now + std::chrono::seconds{*left_s}};
    tenures_.erase(held); // lapsed: its key is gone, the shard is taken again if still free
  }
  return take(shard, node, now, whole_seconds(ttl));
}

caf::expected<shard_lease> etcd_lease_table::take(std::uint32_t shard, const std::string& node,
                                                  lease_clock::time_point now,
                                                  std::chrono::seconds ttl) {
  auto key = prefix_ + std::to_string(shard);
  auto doing = "taking shard " + std::to_string(shard) + " for " + node;
  auto lease = etcd_.grant(ttl);
  if (!lease)
    return etcd_failed(lease.error(), doing);
  auto took = etcd_.put_if_mod_revision(key, node, lease->id, 0); // only if no one holds it
  if (!took) {
    etcd_.revoke(lease->id);
    return etcd_failed(took.error(), doing);
  }
  auto epoch = static_cast<std::uint64_t>(took->revision);
  if (!took->succeeded) {
    auto holder = etcd_.range(key);
    bool ours = holder && holder->kv && holder->kv->lease == lease->id; // a repeated swap of ours
    if (!ours) {
      etcd_.revoke(lease->id);
      return held_by(shard, node, holder);
    }
    epoch = static_cast<std::uint64_t>(holder->kv->mod_revision);
  }
  auto fenced = fences_->adopt(shard, node, epoch); // before any append of this tenure
  if (!fenced) {
    etcd_.revoke(lease->id);
    return fenced.error();
  }
  tenures_[{shard, node}] = tenure{lease->id, epoch};
  return shard_lease{shard, node, epoch, now + std::chrono::seconds{lease->ttl_s}};
}

caf::error etcd_lease_table::release(std::uint32_t shard, const std::string& node,
                                     std::uint64_t epoch) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto held = tenures_.find({shard, node});
  if (held == tenures_.end() || held->second.epoch != epoch)
    return dca::es::make_error(dca::es::errc::stale_epoch, "shard " + std::to_string(shard) +
                                                               " is not " + node + "'s at epoch " +
                                                               std::to_string(epoch));
  auto lease_id = held->second.lease_id;
  tenures_.erase(held);
  auto revoked = etcd_.revoke(lease_id);
  return revoked ? etcd_failed(revoked, "releasing shard " + std::to_string(shard)) : caf::error{};
}

caf::expected<std::vector<shard_lease>> etcd_lease_table::leases(lease_clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto keys = etcd_.range_prefix(prefix_);
  if (!keys)
    return etcd_failed(keys.error(), "listing shard leases");
  std::vector<shard_lease> out;
  for (const auto& kv : *keys) {
    auto left_s = etcd_.time_to_live(kv.lease);
    if (!left_s)
      return etcd_failed(left_s.error(), "reading the lease of " + kv.key);
    out.push_back(shard_lease{static_cast<std::uint32_t>(std::stoul(kv.key.substr(prefix_.size()))),
                              kv.value, static_cast<std::uint64_t>(kv.mod_revision),
                              now + std::chrono::seconds{*left_s}});
  }
  return out;
}

} // namespace dca::cluster
