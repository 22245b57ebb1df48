// What bank_node's modes share: its command line words, the actor system configuration every node
// and client uses (the middleman, the messages nodes exchange), a bank command from words, and
// reaching a node by its "host:port".
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/io/middleman.hpp>

#include "dca/cluster/node_process.hpp"
#include "dca/examples/bank.hpp"

namespace dca::examples::bank_cluster {

/// `MODE [--name value]... [positional]...`
struct words {
  std::string mode;
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;

  static words parse(int argc, char** argv) {
    words w;
    if (argc < 2)
      throw std::invalid_argument{"usage: bank_node serve|call|load ... (see bank_node.cpp)"};
    w.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
      std::string word = argv[i];
      if (word.rfind("--", 0) != 0) {
        w.positional.push_back(word);
        continue;
      }
      if (i + 1 == argc)
        throw std::invalid_argument{"option " + word + " has no value"};
      w.options[word.substr(2)] = argv[++i];
    }
    return w;
  }

  std::string option(const std::string& name, const std::string& fallback = {}) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

struct cluster_config : caf::actor_system_config {
  cluster_config() {
    load<caf::io::middleman>();
    dca::cluster::add_node_messages<bank::account>(*this, "bank_account_command");
    set("scheduler.max-threads", 2); // CAF's default is 4 on 2 cores
  }
};

/// `open OWNER`, `deposit CENTS`, `withdraw CENTS` from words[at...].
inline bank::account::command parse_command(const std::vector<std::string>& w, std::size_t at) {
  auto arg = [&] {
    if (at + 1 >= w.size())
      throw std::invalid_argument{"command '" + w[at] + "' needs a value"};
    return w[at + 1];
  };
  if (w[at] == "open")
    return bank::open_account{arg()};
  if (w[at] == "deposit")
    return bank::deposit{std::stoll(arg())};
  if (w[at] == "withdraw")
    return bank::withdraw{std::stoll(arg())};
  throw std::invalid_argument{"unknown command '" + w[at] + "' (open, deposit, withdraw)"};
}

/// The node published at "host:port".
inline caf::expected<caf::actor> connect(caf::actor_system& sys, const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument{"node address '" + address + "' is not host:port"};
  return sys.middleman().remote_actor(
      address.substr(0, colon), static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1))));
}

/// `bank_node load`: load.cpp.
int run_load(const words& w);

/// `bank_node status`: status.cpp.
int run_status(const words& w);

} // namespace dca::examples::bank_cluster
