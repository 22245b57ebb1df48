// The heartbeat failure detector (failure_detector.hpp).
#include "dca/cluster/failure_detector.hpp"

#include <map>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

namespace dca::cluster {

namespace {

using heartbeat_tick_atom = caf::atom_constant<caf::atom("hbtick")>;

struct peer {
  caf::actor detector;
  caf::actor_clock::time_point last_heard;
  bool alive = true;
};

struct failure_detector_state {
  std::string node;
  heartbeat_options opts;
  std::map<std::string, peer> peers; // ordered: heartbeats and notices go out in a fixed order
  std::vector<caf::actor> subscribers;
  static inline const char* name = "dca.cluster.failure_detector";
};

using detector_actor = caf::stateful_actor<failure_detector_state>;

void notify(detector_actor* self, bool up, const std::string& node) {
  for (auto& s : self->state.subscribers) {
    if (up)
      caf::anon_send(s, node_up_atom::value, node);
    else
      caf::anon_send(s, node_down_atom::value, node);
  }
}

void tick(detector_actor* self) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto silence_max = st.opts.interval * st.opts.missed_max;
  for (auto& [name, p] : st.peers) {
    caf::anon_send(p.detector, heartbeat_atom::value, st.node);
    if (p.alive && now - p.last_heard > silence_max) {
      p.alive = false;
      notify(self, false, name);
    }
  }
  self->delayed_send(self, st.opts.interval, heartbeat_tick_atom::value);
}

caf::behavior failure_detector(detector_actor* self, std::string own_node, heartbeat_options opts) {
  self->state.node = std::move(own_node);
  self->state.opts = opts;
  self->delayed_send(self, opts.interval, heartbeat_tick_atom::value);
  return {
      [self](heartbeat_tick_atom) { tick(self); },
      [self](watch_atom, const std::string& node, caf::actor detector) {
        self->state.peers[node] = peer{std::move(detector), self->clock().now(), true};
      },
      [self](forget_atom, const std::string& node) { self->state.peers.erase(node); },
      [self](subscribe_atom, caf::actor subscriber) {
        self->state.subscribers.push_back(std::move(subscriber));
      },
      [self](heartbeat_atom, const std::string& from) {
        auto it = self->state.peers.find(from);
        if (it == self->state.peers.end())
          return; // not watched (yet, or any more)
        it->second.last_heard = self->clock().now();
        if (!it->second.alive) {
          it->second.alive = true;
          notify(self, true, from);
        }
      },
  };
}

} // namespace

caf::actor spawn_failure_detector(caf::actor_system& sys, std::string node,
                                  heartbeat_options opts) {
  return sys.spawn(failure_detector, std::move(node), opts);
}

} // namespace dca::cluster
