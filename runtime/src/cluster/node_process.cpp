// A node process's storage, publication and membership loop (node_process.hpp).
#include "dca/cluster/node_process.hpp"

#include <set>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "dca/cluster/errors.hpp"

namespace dca::cluster {

namespace {

/// The peers this process has introduced to its node, by id, with the incarnation it connected to.
class member_sync {
public:
  member_sync(caf::actor_system& sys, caf::actor node, std::string self)
      : sys_(sys), node_(std::move(node)), self_(std::move(self)) {}

  /// Connects to live members it does not know (or that restarted: a new incarnation), and tells
  /// the node about those no longer live.
  void update(const std::vector<member>& rows) {
    std::set<std::string> live;
    for (auto& m : rows) {
      if (m.node == self_ || !m.live)
        continue;
      live.insert(m.node);
      auto it = known_.find(m.node);
      if (it == known_.end() || it->second != m.incarnation)
        connect(m);
    }
    for (auto it = known_.begin(); it != known_.end();) {
      if (live.count(it->first) > 0) {
        ++it;
        continue;
      }
      caf::anon_send(node_, leave_atom::value, it->first);
      it = known_.erase(it);
    }
  }

private:
  void connect(const member& m) {
    auto colon = m.address.rfind(':');
    if (colon == std::string::npos)
      return; // not an address this build writes: ignore the row
    auto port = static_cast<std::uint16_t>(std::stoul(m.address.substr(colon + 1)));
    auto handle = sys_.middleman().remote_actor(m.address.substr(0, colon), port);
    if (!handle)
      return; // not published yet, or gone: the next round tries again
    caf::anon_send(node_, join_atom::value, m.node, *handle);
    known_[m.node] = m.incarnation;
  }

  caf::actor_system& sys_;
  caf::actor node_;
  std::string self_;
  std::map<std::string, std::uint64_t> known_;
};

} // namespace

caf::expected<node_process_storage> open_node_storage(const node_process_options& opts,
                                                      const std::string& entity_type) {
  node_process_storage out;
  auto journal = dca::es::postgres_journal::open(opts.db);
  if (!journal)
    return journal.error();
  auto leases = postgres_lease_table::open(opts.db);
  if (!leases)
    return leases.error();
  auto members = membership::open(opts.db);
  if (!members)
    return members.error();
  auto claim = member_claim{opts.node.name, opts.host + ":" + std::to_string(opts.port),
                            opts.node.shards, entity_type};
  auto incarnation = (*members)->join(claim, opts.member_live_max);
  if (!incarnation)
    return incarnation.error();
  return node_process_storage{std::move(*journal), std::move(*leases), std::move(*members),
                              *incarnation};
}

int serve_node(caf::actor_system& sys, caf::actor node, node_process_storage& storage,
               const node_process_options& opts, const volatile std::sig_atomic_t& stop,
               std::ostream& err) {
  auto& name = opts.node.name;
  auto published = sys.middleman().publish(node, opts.port, opts.host.c_str(), true);
  if (!published) {
    err << name << ": cannot publish on " << opts.host << ":" << opts.port << ": "
        << sys.render(published.error()) << " (is the port taken?)\n";
    storage.members->leave(name, storage.incarnation);
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return 1;
  }
  member_sync peers{sys, node, name};
  int rc = 0;
  while (stop == 0) {
    auto beat = storage.members->heartbeat(name, storage.incarnation);
    if (is(beat, errc::membership_lost)) {
      err << name << ": " << dca::es::render(beat) << '\n';
      rc = 1;
      break;
    }
    if (!beat)
      if (auto rows = storage.members->members(opts.member_live_max))
        peers.update(*rows);
    // The membership's period, not a wait for something to happen.
    std::this_thread::sleep_for(opts.member_heartbeat);
  }
  if (rc == 0)
    storage.members->leave(name, storage.incarnation);
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  return rc;
}

} // namespace dca::cluster
