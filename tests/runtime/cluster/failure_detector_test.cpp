// Failure is an answer: a request to a node that crashes or hangs ends with an error within the
// failure detector's bound, and with the request's own timeout when nothing else is known.
#include "cluster_test_support.hpp"

#include "dca/cluster/failure_detector.hpp"
#include "dca/cluster/fault_link.hpp"
#include "dca/cluster/pending_calls.hpp"

using namespace dca::cluster;
using namespace std::chrono_literals;

namespace {

struct caller_state {
  pending_calls calls;
  static inline const char* name = "test.bounded_caller";
};

// Forwards each number to `dest` on `node` as a bounded call; fails them all when `node` dies.
caf::behavior bounded_caller(caf::stateful_actor<caller_state>* self, std::string node,
                             caf::actor dest, std::chrono::milliseconds timeout) {
  return {
      [=](std::int64_t x) {
        auto rp = self->make_response_promise();
        call_bounded<std::int64_t>(self, self->state.calls, node, dest, timeout, rp, x);
        return rp;
      },
      [=](node_down_atom, const std::string& n) {
        self->state.calls.fail_node(
            n, make_error(errc::node_unreachable, "node " + n + " missed its heartbeats"));
      },
      [](node_up_atom, const std::string&) {},
  };
}

// What a subscriber heard, in order: "down n2", "up n2".
caf::behavior membership_log(caf::event_based_actor*,
                             std::shared_ptr<std::vector<std::string>> log) {
  return {
      [=](node_down_atom, const std::string& n) { log->push_back("down " + n); },
      [=](node_up_atom, const std::string& n) { log->push_back("up " + n); },
  };
}

// n1 and n2 heartbeat each other through links; n1's caller reaches n2's echo through a link.
struct watched_pair {
  sim_network net{2};
  heartbeat_options hb{100ms, 5};
  std::chrono::milliseconds call_timeout{5s};
  std::shared_ptr<int> served2 = std::make_shared<int>(0);
  std::shared_ptr<std::vector<std::string>> heard = std::make_shared<std::vector<std::string>>();
  caf::actor d1, d2, beats21, echo2, echo_link, caller;

  explicit watched_pair(bool detect = true) {
    auto& n1 = net.node(0);
    auto& n2 = net.node(1);
    d1 = spawn_failure_detector(n1.sys, "n1", hb);
    d2 = spawn_failure_detector(n2.sys, "n2", hb);
    net.stop_at_end(d1);
    net.stop_at_end(d2);
    auto beats12 = spawn_fault_link(n1.sys, net.connect(n2, n1, d2, 5001), fault_plan{});
    beats21 = spawn_fault_link(n2.sys, net.connect(n1, n2, d1, 5002), fault_plan{});
    echo2 = n2.sys.spawn(counting_echo, served2);
    echo_link = spawn_fault_link(n1.sys, net.connect(n2, n1, echo2, 5003), fault_plan{});
    caller = n1.sys.spawn(bounded_caller, "n2", echo_link, call_timeout);
    for (auto& a : {beats12, beats21, echo_link, caller})
      net.stop_at_end(a);
    caf::anon_send(d1, watch_atom::value, "n2", beats12);
    caf::anon_send(d2, watch_atom::value, "n1", beats21);
    if (detect) {
      caf::anon_send(d1, subscribe_atom::value, caller);
      auto log = n1.sys.spawn(membership_log, heard);
      net.stop_at_end(log);
      caf::anon_send(d1, subscribe_atom::value, log);
    }
    net.drain();
    net.advance(300ms); // heartbeats flowing both ways
  }

  // Asks n1's caller for `x` and runs virtual time in 10 ms steps until it answers; returns the
  // answer and how long it took.
  std::pair<std::string, std::chrono::milliseconds> call(std::int64_t x) {
    auto start = net.now();
    auto answer = ask_on<std::int64_t>(net.node(0), caller, 60s, x);
    net.drain();
    while (answer->empty() && net.now() - start < 60s)
      net.advance(10ms);
    return {*answer, net.now() - start};
  }
};

} // namespace

TEST_CASE("a request to a live node is answered and no node is reported down") {
  watched_pair t;
  CHECK(t.call(21).first == "reply 42");
  t.net.advance(2s);
  CHECK(t.heard->empty());
}

TEST_CASE("a request to a node that crashes fails with node_unreachable within the bound") {
  watched_pair t;
  caf::anon_send_exit(t.echo2, caf::exit_reason::kill);
  caf::anon_send_exit(t.d2, caf::exit_reason::kill);
  t.net.drain();
  auto [answer, took] = t.call(1);
  CHECK(answer.find("node_unreachable: node n2 missed its heartbeats") == 0);
  CHECK(took <= detection_bound(t.hb));
  CHECK(took < t.call_timeout);
  CHECK(*t.heard == std::vector<std::string>{"down n2"});
}

TEST_CASE("a request to a node that hangs fails with node_unreachable within the bound") {
  watched_pair t;
  // A hung process (SIGSTOP) answers nothing and sends no heartbeat; its actors are still there.
  caf::anon_send(t.echo_link, link_cut_atom::value, true, true);
  caf::anon_send(t.beats21, link_cut_atom::value, true, true);
  t.net.drain();
  auto [answer, took] = t.call(1);
  CHECK(answer.find("node_unreachable") == 0);
  CHECK(took <= detection_bound(t.hb));
  CHECK(*t.served2 == 0);
  // SIGCONT: heartbeats resume, the node is reported up again and answers.
  caf::anon_send(t.echo_link, link_cut_atom::value, false, false);
  caf::anon_send(t.beats21, link_cut_atom::value, false, false);
  t.net.advance(200ms);
  CHECK(*t.heard == std::vector<std::string>{"down n2", "up n2"});
  CHECK(t.call(5).first == "reply 10");
}

TEST_CASE("without heartbeats a request to a hung node ends at its timeout, not never") {
  watched_pair t{false};
  caf::anon_send(t.echo_link, link_cut_atom::value, true, true);
  t.net.drain();
  auto [answer, took] = t.call(1);
  CHECK(answer == "request_timeout: no answer from node n2 within 5000 ms");
  CHECK(took == t.call_timeout);
}
