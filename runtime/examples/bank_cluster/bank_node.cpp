// bank_node: the bank's accounts (examples/bank) on a cluster of processes. `serve` runs one node
// (node_process.hpp: the journal, leases and members in PostgreSQL, CAF's middleman between
// nodes); `call` sends one command to any node and prints the answer; `load` (load.hpp) drives
// many commands through several nodes and records every outcome, for the cluster test. `dca
// cluster up N` starts N of `serve`.
//
//   bank_node serve --id n1 --port 7101 --db CONNINFO [--shards 16]
//   bank_node call --to 127.0.0.1:7101 KEY open OWNER | deposit CENTS | withdraw CENTS [--idem K]
//   bank_node status --db CONNINFO                       (status.cpp)
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "bank_cluster.hpp"
#include "dca/cluster/node_process.hpp"
#include "dca/es/errors.hpp"

namespace bank = dca::examples::bank;
using namespace dca::examples::bank_cluster;

namespace {

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void on_stop_signal(int) {
  stop_requested = 1;
}

int serve(const words& w) {
  dca::cluster::node_process_options opts;
  opts.db = w.option("db");
  opts.port = static_cast<std::uint16_t>(std::stoul(w.option("port")));
  opts.node.name = w.option("id");
  opts.node.shards = static_cast<std::uint32_t>(std::stoul(w.option("shards", "16")));
  opts.node.request_timeout = std::chrono::milliseconds{2000};
  if (opts.db.empty() || opts.node.name.empty() || opts.port == 0)
    throw std::invalid_argument{"serve needs --id, --port and --db"};
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  cluster_config cfg;
  caf::actor_system sys{cfg};
  return dca::cluster::run_node_process<bank::account>(sys, opts, stop_requested, std::cerr);
}

int call(const words& w) {
  if (w.positional.size() < 2)
    throw std::invalid_argument{"call needs KEY and a command (open OWNER, deposit N, withdraw N)"};
  auto cmd = parse_command(w.positional, 1);
  cluster_config cfg;
  caf::actor_system sys{cfg};
  auto node = connect(sys, w.option("to"));
  if (!node) {
    std::cerr << "bank_node call: " << sys.render(node.error()) << '\n';
    return 1;
  }
  caf::scoped_actor self{sys};
  int rc = 1;
  self->request(*node, std::chrono::seconds{10}, dca::es::command_atom::value, w.positional[0], cmd,
                w.option("idem"))
      .receive(
          [&](const dca::es::ack& a) {
            std::cout << w.positional[0] << ": seq " << a.seq << ", position " << a.position
                      << (a.duplicate ? " (duplicate)" : "") << '\n';
            rc = 0;
          },
          [&](caf::error& e) { std::cerr << "bank_node call: " << dca::es::render(e) << '\n'; });
  return rc;
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto w = words::parse(argc, argv);
    if (w.mode == "serve")
      return serve(w);
    if (w.mode == "call")
      return call(w);
    if (w.mode == "load")
      return run_load(w);
    if (w.mode == "status")
      return run_status(w);
    throw std::invalid_argument{"unknown mode '" + w.mode + "' (serve, call, load, status)"};
  } catch (const std::exception& ex) {
    std::cerr << "bank_node: " << ex.what() << '\n';
    return 2;
  }
}
