// The fault link between simulated nodes: every fault, partitions in one and both directions, one
// seed replaying a run exactly, and an activity (dca/es/activity.hpp) whose lost command is sent
// again after the sender's next one.
#include "cluster_test_support.hpp"

#include <algorithm>

#include "dca/cluster/fault_link.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"

using namespace dca::cluster;
using namespace std::chrono_literals;

namespace {

struct faulty_run {
  std::vector<std::string> trace;
  std::vector<std::string> outcomes;
  int served = 0;
};

std::vector<std::string> trace_of(sim_network& net, sim_node& on, const caf::actor& link) {
  auto trace = std::make_shared<std::vector<std::string>>();
  on.sys.spawn([=](caf::event_based_actor* self) {
    self->request(link, 1s, link_trace_atom::value).then([=](std::vector<std::string>& t) {
      *trace = std::move(t);
    });
  });
  net.drain();
  return *trace;
}

// `requests` echo requests from n1 to n2 through a link with `plan`; virtual time runs until
// every request has its answer (a 1 s timeout at the latest).
faulty_run run_echo_through_link(const fault_plan& plan, int requests) {
  sim_network net{2};
  auto served = std::make_shared<int>(0);
  auto echo = net.node(1).sys.spawn(counting_echo, served);
  auto remote = net.connect(net.node(1), net.node(0), echo, 4000);
  auto link = spawn_fault_link(net.node(0).sys, remote, plan);
  net.stop_at_end(link);
  auto outcomes = std::make_shared<std::vector<std::string>>(requests);
  net.node(0).sys.spawn([=](caf::event_based_actor* self) {
    for (int i = 0; i < requests; ++i)
      self->request(link, 1s, std::int64_t{i})
          .then([=](std::int64_t r) { (*outcomes)[i] = "reply " + std::to_string(r); },
                [=](caf::error& e) { (*outcomes)[i] = caf::to_string(e); });
  });
  net.drain();
  for (int i = 0; i < 12; ++i)
    net.advance(100ms);
  return {trace_of(net, net.node(0), link), *outcomes, *served};
}

std::ptrdiff_t count_in(const std::vector<std::string>& xs, const std::string& what) {
  return std::count_if(xs.begin(), xs.end(),
                       [&](const std::string& x) { return x.find(what) != std::string::npos; });
}

fault_plan mixed_plan(std::uint64_t seed) {
  fault_plan plan;
  plan.seed = seed;
  plan.drop_per_mille = 100;
  plan.duplicate_per_mille = 100;
  plan.delay_per_mille = 200;
  plan.reorder_per_mille = 50;
  plan.delay = 50ms;
  return plan;
}

} // namespace

TEST_CASE("a fault link drops, duplicates, delays and reorders as its plan says") {
  auto run = run_echo_through_link(mixed_plan(11), 200);
  auto drops = count_in(run.trace, " drop");
  auto dups = count_in(run.trace, " duplicate");
  CHECK(drops > 5);
  CHECK(dups > 5);
  CHECK(count_in(run.trace, " delay") > 10);
  CHECK(count_in(run.trace, " hold back") > 0);
  CHECK(count_in(run.trace, "released after a later message") > 0);
  // A dropped request is never answered: its caller's timeout is the answer. Nothing else is lost.
  CHECK(count_in(run.outcomes, "request_timeout") == drops);
  CHECK(count_in(run.outcomes, "reply") == 200 - drops);
  // A duplicate runs twice on the server; the caller gets one answer.
  CHECK(run.served == 200 - drops + dups);
}

TEST_CASE("one seed replays a faulty run exactly and another seed does not") {
  auto first = run_echo_through_link(mixed_plan(5), 200);
  auto again = run_echo_through_link(mixed_plan(5), 200);
  auto other = run_echo_through_link(mixed_plan(6), 200);
  CHECK(first.trace == again.trace);
  CHECK(first.outcomes == again.outcomes);
  CHECK(first.served == again.served);
  CHECK(first.trace != other.trace);
}

TEST_CASE("a delay longer than the caller's timeout is a timeout") {
  auto plan = mixed_plan(1);
  plan.drop_per_mille = plan.duplicate_per_mille = plan.reorder_per_mille = 0;
  plan.delay_per_mille = 1000;
  plan.delay = 2s;
  auto run = run_echo_through_link(plan, 10);
  CHECK(count_in(run.outcomes, "request_timeout") == 10);
}

namespace {

// Two nodes, each with a counting echo, each reaching the other's through a link.
struct two_linked_nodes {
  sim_network net{2};
  std::shared_ptr<int> served1 = std::make_shared<int>(0);
  std::shared_ptr<int> served2 = std::make_shared<int>(0);
  caf::actor link12; // n1 -> n2's echo
  caf::actor link21; // n2 -> n1's echo

  two_linked_nodes() {
    auto echo1 = net.node(0).sys.spawn(counting_echo, served1);
    auto echo2 = net.node(1).sys.spawn(counting_echo, served2);
    link12 = spawn_fault_link(net.node(0).sys, net.connect(net.node(1), net.node(0), echo2, 4001),
                              fault_plan{});
    link21 = spawn_fault_link(net.node(1).sys, net.connect(net.node(0), net.node(1), echo1, 4002),
                              fault_plan{});
    net.stop_at_end(link12);
    net.stop_at_end(link21);
  }

  void cut(const caf::actor& link, bool requests, bool replies) {
    caf::anon_send(link, link_cut_atom::value, requests, replies);
    net.drain();
  }

  // One request each way; returns {n1's answer, n2's answer} after the 1 s timeouts.
  std::pair<std::string, std::string> exchange() {
    auto a = ask_on<std::int64_t>(net.node(0), link12, 1s, std::int64_t{1});
    auto b = ask_on<std::int64_t>(net.node(1), link21, 1s, std::int64_t{2});
    net.drain();
    net.advance(1100ms);
    return {*a, *b};
  }
};

} // namespace

TEST_CASE("a one-way partition loses what n1 sends and keeps what n2 sends") {
  two_linked_nodes t;
  // n1 -> n2 cut: n1's requests and n1's replies to n2 are lost.
  t.cut(t.link12, true, false);
  t.cut(t.link21, false, true);
  auto [from1, from2] = t.exchange();
  CHECK(from1.find("request_timeout") != std::string::npos);
  CHECK(*t.served2 == 0); // n1's request never arrived
  CHECK(from2.find("request_timeout") != std::string::npos);
  CHECK(*t.served1 == 1); // n2's request arrived; only the reply was lost
  t.cut(t.link12, false, false);
  t.cut(t.link21, false, false);
  auto [healed1, healed2] = t.exchange();
  CHECK(healed1 == "reply 2");
  CHECK(healed2 == "reply 4");
}

TEST_CASE("a two-way partition loses both directions until it heals") {
  two_linked_nodes t;
  t.cut(t.link12, true, true);
  t.cut(t.link21, true, true);
  auto [from1, from2] = t.exchange();
  CHECK(from1.find("request_timeout") != std::string::npos);
  CHECK(from2.find("request_timeout") != std::string::npos);
  CHECK(*t.served1 + *t.served2 == 0);
  t.cut(t.link12, false, false);
  t.cut(t.link21, false, false);
  CHECK(t.exchange() == std::make_pair(std::string{"reply 2"}, std::string{"reply 4"}));
}

TEST_CASE("an activity across a fault link: a lost command sent again after the sender's next one "
          "runs first, the next one waits for it, and a repeat gets the recorded reply") {
  using dca::es::sender_stamp;
  sim_network net{2};
  auto journal = std::make_shared<dca::es::memory_journal>();
  dca::es::entity_options opts;
  opts.idle_timeout = 0ms;
  opts.hibernate_after = 0ms;
  auto host = dca::es::spawn_entity_host<counter>(net.node(1).sys, journal, opts);
  auto link = spawn_fault_link(net.node(0).sys, net.connect(net.node(1), net.node(0), host, 4003),
                               fault_plan{});
  net.stop_at_end(link);
  auto send = [&](std::uint64_t seq, std::int64_t amount) {
    return ask_on<dca::es::ack>(net.node(0), link, 1s, dca::es::command_atom::value,
                                std::string{"c"}, counter::command{add{amount}},
                                sender_stamp{"n1", seq});
  };
  caf::anon_send(link, link_cut_atom::value, true, false);
  net.drain();
  auto lost = send(1, 1); // cut: it never arrives
  net.drain();
  caf::anon_send(link, link_cut_atom::value, false, false);
  net.drain();
  auto second = send(2, 10); // arrives first: held until 1 is there
  net.drain();
  CHECK(second->empty());
  auto again = send(1, 1); // the sender's retry of 1
  net.drain();
  auto repeat = send(2, 10); // a late copy of 2
  net.advance(1100ms);
  CHECK(lost->find("request_timeout") != std::string::npos);
  CHECK(*again == "reply ack(1, 1, false)");
  CHECK(*second == "reply ack(2, 2, false)");
  CHECK(*repeat == "reply ack(2, 2, true)");
  std::vector<dca::es::event_record> events;
  REQUIRE_FALSE(journal->read_stream({"counter", "c"}, 1, 100, events));
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == "added(1)");
  CHECK(events[1].text == "added(10)");
}
