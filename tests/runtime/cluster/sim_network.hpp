// Simulated nodes for deterministic cluster tests: N CAF actor systems in one process, each on
// CAF's test coordinator and test multiplexer (caf/test/io_dsl.hpp), connected over the simulated
// network. Unlike io_dsl's fixtures, time moves only when a test says so (advance): draining the
// network never fires timeouts by itself, so periodic actors (heartbeats) cannot spin it forever,
// and a request's timeout fires at the virtual instant it is due.
#pragma once

#include "caf_doctest.hpp"

#include "caf/test/io_dsl.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "counter_entity.hpp"
#include "dca/cluster/node.hpp"
#include "dca/es/activity.hpp"
#include "dca/es/idempotency_keys.hpp"

/// Every simulated node's configuration: the middleman and the messages nodes exchange.
struct sim_node_config : caf::actor_system_config {
  sim_node_config() {
    load<caf::io::middleman>();
    dca::cluster::add_node_messages<counter>(*this, "counter_command");
    add_message_type<dca::es::sender_stamp>("sender_stamp");
  }
};

using sim_node_base = test_node_fixture<test_coordinator_fixture<sim_node_config>>;

struct sim_node : sim_node_base {
  sim_node(std::string node_name, std::function<void()> drain_all)
      : sim_node_base(std::move(drain_all)), name(std::move(node_name)) {}
  std::string name;
};

class sim_network {
public:
  explicit sim_network(std::size_t nodes) {
    for (std::size_t i = 0; i < nodes; ++i)
      nodes_.push_back(
          std::make_unique<sim_node>("n" + std::to_string(i + 1), [this] { drain(); }));
    start_ = nodes_.front()->sched.clock().now().time_since_epoch();
    drain();
  }

  /// Stops the actors the test registered (detectors tick forever), then lets CAF's fixtures
  /// shut down: their destructors run until nothing is left, timeouts included.
  ~sim_network() {
    for (auto& a : stop_at_end_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    drain();
  }

  sim_node& node(std::size_t i) { return *nodes_.at(i); }
  std::size_t size() const { return nodes_.size(); }

  /// Kills `a` when the test ends (an actor with a periodic timer).
  void stop_at_end(caf::actor a) { stop_at_end_.push_back(std::move(a)); }

  /// Publishes `whom` on `server` at `port` and returns `client`'s handle to it. A published actor
  /// is held by its middleman, so it is stopped when the test ends, or its system would wait for
  /// it forever.
  caf::actor connect(sim_node& server, sim_node& client, const caf::actor& whom,
                     std::uint16_t port) {
    auto server_hdl = caf::io::connection_handle::from_int(++handles_);
    auto client_hdl = caf::io::connection_handle::from_int(++handles_);
    auto accept_hdl = caf::io::accept_handle::from_int(++handles_);
    server.mpx.prepare_connection(accept_hdl, server_hdl, client.mpx, server.name, port,
                                  client_hdl);
    server.publish(whom, port);
    stop_at_end(whom);
    return client.remote_actor(server.name, port);
  }

  /// Runs every message and every byte on the wire, on every node, until nothing moves; fires no
  /// timeout. Two idle passes, because reading data can flush runnables without counting them.
  void drain() {
    for (int idle = 0; idle < 2;) {
      bool moved = false;
      for (auto& n : nodes_)
        while (step(*n))
          moved = true;
      idle = moved ? 0 : idle + 1;
    }
  }

  /// Moves every node's clock on by `d`, in steps of at most `step_max`, firing what is due and
  /// draining after each step: a periodic timer fires once per period, as it would in real time.
  void advance(std::chrono::milliseconds d,
               std::chrono::milliseconds step_max = std::chrono::milliseconds{10}) {
    while (d.count() > 0) {
      auto step = std::min(d, step_max);
      for (auto& n : nodes_)
        n->sched.clock().advance_time(step);
      drain();
      d -= step;
    }
  }

  /// The virtual time since the network started.
  std::chrono::milliseconds now() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        nodes_.front()->sched.clock().now().time_since_epoch() - start_);
  }

private:
  static bool step(sim_node& n) {
    return n.sched.try_run_once() || n.mpx.read_data() || n.mpx.try_exec_runnable() ||
           n.mpx.try_accept_connection();
  }

  std::vector<std::unique_ptr<sim_node>> nodes_;
  std::vector<caf::actor> stop_at_end_;
  std::int64_t handles_ = 0;
  caf::actor_clock::duration_type start_{};
};
