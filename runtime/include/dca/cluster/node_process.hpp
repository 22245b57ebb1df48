// One node process of a real cluster: the journal, the shard leases and the member table in one
// PostgreSQL database, the node actor published on CAF's middleman, and a loop on the process's
// main thread that keeps the membership: it refreshes this node's heartbeat row, connects to the
// live members it does not know yet (remote_actor on their published address, then join_atom to
// the node), and tells the node that members whose rows went away have left. Heartbeats between
// nodes (failure_detector.hpp) still decide quickly who is dead; the member table decides who is
// in the cluster and where to find them. `bank_node serve` is this for the bank's accounts.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "dca/cluster/membership.hpp"
#include "dca/cluster/node.hpp"
#include "dca/cluster/postgres_lease_table.hpp"
#include "dca/es/postgres_journal.hpp"

namespace dca::cluster {

struct node_process_options {
  std::string db; // libpq connection string of the cluster's database
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; // where the node actor is published (fixed: it is in the member row)
  node_options node;      // node.name is the node id
  /// How often the member row is refreshed and the member table read.
  std::chrono::milliseconds member_heartbeat{200};
  /// A member row older than this is a dead member's (its id may be taken over).
  std::chrono::milliseconds member_live_max{1500};
};

/// What a node process holds while it runs.
struct node_process_storage {
  std::shared_ptr<dca::es::postgres_journal> journal;
  std::shared_ptr<postgres_lease_table> leases;
  std::unique_ptr<membership> members;
  std::uint64_t incarnation = 0;
};

/// Opens the database and joins the cluster as a node hosting `entity_type`: one line and nothing
/// else when refused (the database cannot be reached, a live node has this id, the shard count,
/// entity type or schema differ from the cluster's).
caf::expected<node_process_storage> open_node_storage(const node_process_options& opts,
                                                      const std::string& entity_type);

/// Publishes `node`, then keeps the membership until `stop` is set (SIGTERM) or the node's
/// membership is lost; leaves the member table and stops the node. Returns the exit status.
int serve_node(caf::actor_system& sys, caf::actor node, node_process_storage& storage,
               const node_process_options& opts, const volatile std::sig_atomic_t& stop,
               std::ostream& err);

/// Runs a node process hosting E: open_node_storage, spawn_node<E>, serve_node.
template <class E>
int run_node_process(caf::actor_system& sys, const node_process_options& opts,
                     const volatile std::sig_atomic_t& stop, std::ostream& err) {
  auto storage = open_node_storage(opts, E::type_name);
  if (!storage) {
    err << opts.node.name << ": " << dca::es::render(storage.error()) << '\n';
    return 1;
  }
  auto node = spawn_node<E>(sys, opts.node, storage->leases, storage->journal);
  return serve_node(sys, std::move(node), *storage, opts, stop, err);
}

} // namespace dca::cluster
