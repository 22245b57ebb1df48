// `bank_node status --db CONNINFO`: the cluster as its database records it: the members (address,
// incarnation, heartbeat age, live or not) and every shard's owner, epoch and how long its lease
// runs. `dca cluster status` prints this under the node processes' own states.
#include <iomanip>
#include <iostream>

#include "bank_cluster.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/shard_leases.hpp"

namespace dca::examples::bank_cluster {

namespace {

/// The bound `serve` uses (node_process_options::member_live_max).
const auto live_max = dca::cluster::node_process_options{}.member_live_max;

int print_members(dca::cluster::membership& members) {
  auto shards = members.shards();
  auto rows = members.members(live_max);
  if (!shards || !rows) {
    std::cerr << "bank_node status: " << dca::es::render(shards ? rows.error() : shards.error())
              << '\n';
    return 1;
  }
  auto live = std::count_if(rows->begin(), rows->end(), [](auto& m) { return m.live; });
  std::cout << "cluster  " << *shards << " shards, " << rows->size() << " members (" << live
            << " live)\n\n"
            << std::left << std::setw(8) << "node" << std::setw(18) << "address" << std::setw(13)
            << "incarnation" << std::setw(16) << "heartbeat"
            << "member\n";
  for (auto& m : *rows)
    std::cout << std::setw(8) << m.node << std::setw(18) << m.address << std::setw(13)
              << m.incarnation << std::setw(16) << (std::to_string(m.heartbeat_age_ms) + " ms ago")
              << (m.live ? "live" : "dead") << '\n';
  return 0;
}

int print_shards(dca::es::shard_leases& leases) {
  auto rows = leases.list();
  auto now = leases.clock_ms();
  if (!rows || !now) {
    std::cerr << "bank_node status: " << dca::es::render(rows ? now.error() : rows.error()) << '\n';
    return 1;
  }
  std::cout << '\n'
            << std::setw(8) << "shard" << std::setw(8) << "owner" << std::setw(8) << "epoch"
            << "lease\n";
  for (auto& l : *rows) {
    auto left = l.expires_at_ms - *now;
    std::cout << std::setw(8) << l.shard << std::setw(8) << (l.owner.empty() ? "-" : l.owner)
              << std::setw(8) << l.epoch
              << (l.owner.empty() ? std::string{"released"}
                  : left > 0      ? "runs " + std::to_string(left) + " ms more"
                                  : "lapsed " + std::to_string(-left) + " ms ago")
              << '\n';
  }
  return 0;
}

} // namespace

int run_status(const words& w) {
  auto db = w.option("db");
  if (db.empty())
    throw std::invalid_argument{"status needs --db CONNINFO"};
  auto members = dca::cluster::membership::open(db);
  if (!members) {
    std::cerr << "bank_node status: " << dca::es::render(members.error()) << '\n';
    return 1;
  }
  auto leases = dca::es::shard_leases::open(db);
  if (!leases) {
    std::cerr << "bank_node status: " << dca::es::render(leases.error()) << '\n';
    return 1;
  }
  if (auto rc = print_members(**members); rc != 0)
    return rc;
  return print_shards(**leases);
}

} // namespace dca::examples::bank_cluster
