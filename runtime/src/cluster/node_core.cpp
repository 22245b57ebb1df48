// A node's membership, shard ownership and routing decisions (node_core.hpp).
#include "dca/cluster/node_core.hpp"

#include <algorithm>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/type_erased_tuple.hpp>

#include "dca/assert.hpp"
#include "dca/cluster/errors.hpp"
#include "dca/cluster/fenced_journal.hpp"
#include "dca/cluster/shard_map.hpp"
#include "dca/es/errors.hpp"

namespace dca::cluster {

std::vector<std::string> node_core::live_members() const {
  std::vector<std::string> out{opts.name};
  for (auto& [peer_name, p] : peers)
    if (p.alive)
      out.push_back(peer_name);
  std::sort(out.begin(), out.end());
  return out;
}

node_status node_core::status() const {
  node_status st{opts.name, live_members(), {}, {}, {}};
  for (auto& [shard, o] : owned) {
    st.shards.push_back(shard);
    st.epochs.push_back(o.epoch);
  }
  for (std::uint32_t shard = 0; shard < opts.shards; ++shard)
    st.owners.push_back(owned.count(shard) > 0 ? opts.name : owner_hint(shard));
  return st;
}

caf::actor node_core::host_of(std::uint32_t shard) const {
  auto it = owned.find(shard);
  return it == owned.end() ? caf::actor{} : it->second.host;
}

std::string node_core::owner_hint(std::uint32_t shard) const {
  if (owned.count(shard) > 0)
    return opts.name;
  if (shard >= owner_of.size() || owner_of[shard] == opts.name)
    return {}; // released by this node: the next owner is not known yet
  return owner_of[shard];
}

void node_core::learn_owner(std::uint32_t shard, const std::string& owner) {
  if (owner.empty() || owner == opts.name || shard >= opts.shards)
    return;
  owner_of.resize(opts.shards);
  owner_of[shard] = owner;
}

caf::actor node_core::live_peer(const std::string& node) const {
  auto it = peers.find(node);
  return it != peers.end() && it->second.alive ? it->second.handle : caf::actor{};
}

node_core::route node_core::route_for(const std::string& key, std::uint32_t hops) const {
  auto shard = shard_of(key, opts.shards);
  if (auto it = owned.find(shard); it != owned.end())
    return {it->second.host, {}, {}};
  auto where = "key " + key + " (shard " + std::to_string(shard) + ")";
  auto owner = shard < owner_of.size() ? owner_of[shard] : std::string{};
  if (owner.empty() || owner == opts.name)
    return {{}, {}, make_error(errc::shard_unowned, where + " has no owner yet: retry")};
  if (hops >= opts.hops_max)
    return {{},
            {},
            make_error(errc::hops_exceeded, where + " passed on " + std::to_string(hops) +
                                                " times: the nodes disagree on its owner")};
  auto p = peers.find(owner);
  if (p == peers.end() || !p->second.alive)
    return {{},
            {},
            make_error(errc::node_unreachable,
                       where + " is owned by node " + owner + ", which is not reachable")};
  return {{}, owner, {}};
}

void node_core::stop_shard(std::uint32_t shard) {
  auto it = owned.find(shard);
  if (it == owned.end())
    return;
  caf::anon_send_exit(it->second.host, caf::exit_reason::user_shutdown);
  owned.erase(it);
}

void node_core::stop_all() {
  while (!owned.empty())
    stop_shard(owned.begin()->first);
}

void node_core::peer_down(const std::string& node) {
  auto it = peers.find(node);
  if (it == peers.end())
    return;
  it->second.alive = false;
  calls.fail_node(node,
                  make_error(errc::node_unreachable, "node " + node + " missed its heartbeats"));
}

caf::error node_core::refuse_unhosted(const caf::type_erased_tuple& msg) const {
  auto is_command = msg.size() > 0 && msg.match_element<caf::atom_value>(0) &&
                    msg.get_as<caf::atom_value>(0) == dca::es::command_atom::value;
  auto hosts = "node " + opts.name + " hosts " + entity_type + " entities only";
  return make_error(errc::not_hosted, is_command ? hosts + ": " + msg.stringify() +
                                                       " is a command for another entity type"
                                                 : hosts + ": no handler for " + msg.stringify());
}

namespace {

// The outcome of claiming `shard`: (re)starts its host when the epoch is new to the node.
void claimed(node_core& core, std::uint32_t shard, const caf::expected<shard_lease>& lease) {
  if (!lease) {
    // Held by another node: whatever this node believed, it does not own the shard now. Any
    // other failure (the table is unreachable) leaves the belief as it was: fencing guards it.
    if (dca::es::is(lease.error(), dca::es::errc::lease_held))
      core.stop_shard(shard);
    return;
  }
  auto it = core.owned.find(shard);
  if (it != core.owned.end() && it->second.epoch == lease->epoch)
    return;
  core.stop_shard(shard);
  auto fenced = std::make_shared<fenced_journal>(
      core.journal, dca::es::shard_fence{shard, lease->epoch, core.opts.name});
  core.owned[shard] = node_core::owned_shard{lease->epoch, core.spawn_host(fenced)};
}

} // namespace

std::shared_ptr<lease_pass> node_core::plan_pass(caf::actor_clock::time_point now) {
  auto out = std::make_shared<lease_pass>();
  out->node = opts.name;
  out->now = now;
  out->ttl = opts.lease_ttl;
  auto members = live_members();
  for (std::uint32_t shard = 0; shard < opts.shards; ++shard) {
    if (preferred_owner(shard, members) == opts.name) {
      out->claims.push_back(shard);
    } else if (auto it = owned.find(shard); it != owned.end()) {
      // Handed to its preferred owner, which takes it on its next rebalance.
      out->releases.emplace_back(shard, it->second.epoch);
      stop_shard(shard);
    }
  }
  return out;
}

void node_core::apply_pass(const lease_pass& done) {
  DCA_ASSERT(done.claimed.size() == done.claims.size());
  for (std::size_t i = 0; i < done.claims.size(); ++i)
    claimed(*this, done.claims[i], done.claimed[i]);
  if (!done.rows)
    return; // keep the last known owners
  owner_of.assign(opts.shards, std::string{});
  for (auto& row : *done.rows)
    if (row.shard < opts.shards && row.expires_at > done.now)
      owner_of[row.shard] = row.owner;
}

} // namespace dca::cluster
