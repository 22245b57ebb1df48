// Delta replication between nodes (dca/crdt/delta_replicator.hpp, dca/crdt/replica.hpp): three
// simulated nodes, each with a replica of an OR-Set cart, talking through seeded fault links that
// drop, duplicate, delay and reorder; then one node partitioned away and healed. Every replica
// ends identical, with every acknowledged add. First the replicator's bookkeeping on its own.
#include "cluster_test_support.hpp"

#include <set>

#include "crdt_test_support.hpp"
#include "dca/cluster/fault_link.hpp"
#include "dca/crdt/acknowledged_adds.hpp"
#include "dca/crdt/or_set.hpp"
#include "dca/crdt/replica.hpp"

using namespace dca::crdt;
using namespace std::chrono_literals;

namespace {

using cart = or_set<std::string>;

cart add_to(delta_replicator<cart>& r, const std::string& item) {
  r.update([&](cart& s, const replica_id& me) { return s.add(me, item); });
  return r.state();
}

} // namespace

TEST_CASE(
    "a replicator sends a peer the join of the deltas it has not acknowledged, then nothing") {
  delta_replicator<cart> a{"a", crdt_test::replicas};
  delta_replicator<cart> b{"b", crdt_test::replicas};
  add_to(a, "apple");
  add_to(a, "pear");
  auto msg = a.outgoing("b");
  REQUIRE(msg);
  CHECK_FALSE(msg->whole_state);
  CHECK(*b.receive(*msg) == 2);
  CHECK(a.acknowledged("b", 2));
  CHECK_FALSE(a.outgoing("b"));
  CHECK(a.outgoing("c")); // c has acknowledged nothing
  CHECK(b.state() == a.state());
  // A late duplicate of the old message, then a stale ack: nothing changes.
  CHECK(*b.receive(*msg) == 2);
  CHECK(a.acknowledged("b", 1));
  CHECK_FALSE(a.outgoing("b"));
}

TEST_CASE("a peer behind the bounded delta buffer gets the whole state") {
  replication_options opts;
  opts.deltas_max = 2;
  delta_replicator<cart> a{"a", crdt_test::replicas, opts};
  delta_replicator<cart> c{"c", crdt_test::replicas};
  for (auto item : {"1", "2", "3", "4", "5"})
    add_to(a, item);
  CHECK(a.buffered() == 2);
  auto msg = a.outgoing("c");
  REQUIRE(msg);
  CHECK(msg->whole_state);
  CHECK(*c.receive(*msg) == 5);
  CHECK(c.state() == a.state());
}

TEST_CASE("a replicator refuses a message from an unknown replica and an ack of a delta never "
          "made, and changes nothing") {
  delta_replicator<cart> a{"a", crdt_test::replicas};
  add_to(a, "apple");
  auto before = a.state();
  cart stray;
  auto refused = a.receive(delta_message{"z", 1, encode(stray.add("z", "x"))});
  REQUIRE_FALSE(refused);
  CHECK(is(refused.error(), errc::unknown_replica));
  CHECK(dca::es::render(refused.error()) ==
        "unknown_replica: a delta from replica 'z', not one of our peers");
  CHECK(a.state() == before);
  CHECK_FALSE(a.acknowledged("b", 7));
  CHECK(a.outgoing("b"));
}

namespace {

using add_atom = caf::atom_constant<caf::atom("add")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;

caf::behavior cart_replica(replica_actor<cart>* self, replica_id name) {
  return replica_handlers(self, std::move(name), crdt_test::replicas)
      .or_else(caf::message_handler{
          [self](add_atom, std::string& item) {
            replica_update(self, [&](cart& s, const replica_id& me) { return s.add(me, item); });
          },
          [self](remove_atom, std::string& item) {
            replica_update(self, [&](cart& s, const replica_id&) { return s.remove(item); });
          }});
}

// Three nodes n1..n3, a cart replica on each, and a fault link from every node to every other
// node's replica: links[i][j] carries i's messages to j's replica (and j's answers back).
struct three_replicas {
  sim_network net{3};
  std::array<caf::actor, 3> carts;
  std::array<std::array<caf::actor, 3>, 3> links;
  acknowledged_adds<std::string> acks;

  explicit three_replicas(std::uint64_t seed) {
    for (std::size_t i = 0; i < 3; ++i)
      carts[i] = net.node(i).sys.spawn(cart_replica, crdt_test::replica_names[i]);
    std::uint16_t port = 5000;
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 3; ++j) {
        if (i == j)
          continue;
        auto remote = net.connect(net.node(j), net.node(i), carts[j], ++port);
        dca::cluster::fault_plan plan;
        plan.seed = seed * 10 + i * 3 + j;
        plan.drop_per_mille = 150;
        plan.duplicate_per_mille = 100;
        plan.delay_per_mille = 100;
        plan.reorder_per_mille = 100;
        plan.delay = 400ms; // longer than the request timeout: the replica resends meanwhile
        links[i][j] = dca::cluster::spawn_fault_link(net.node(i).sys, remote, plan);
        net.stop_at_end(links[i][j]);
        caf::anon_send(carts[i], replica_peer_atom::value, crdt_test::replica_names[j],
                       links[i][j]);
      }
    net.drain();
  }

  replica_state<cart>& state(std::size_t i) {
    return net.node(i).deref<replica_actor<cart>>(carts[i]).state;
  }
  const cart& value(std::size_t i) { return state(i).core->state(); }

  // A client adds through node i; the add is acknowledged once that replica has applied it.
  void add(std::size_t i, const std::string& item) {
    caf::anon_send(carts[i], add_atom::value, item);
    net.drain();
    REQUIRE(value(i).contains(item));
    acks.added(item);
  }

  void remove(std::size_t i, const std::string& item) {
    caf::anon_send(carts[i], remove_atom::value, item);
    net.drain();
    acks.removed(item);
  }

  // Cuts (or heals) both directions between node i and every other node.
  void isolate(std::size_t i, bool cut) {
    for (std::size_t j = 0; j < 3; ++j)
      if (j != i) {
        caf::anon_send(links[i][j], dca::cluster::link_cut_atom::value, cut, cut);
        caf::anon_send(links[j][i], dca::cluster::link_cut_atom::value, cut, cut);
      }
    net.drain();
  }

  std::vector<std::string> trace(std::size_t i, std::size_t j) {
    auto out = std::make_shared<std::vector<std::string>>();
    net.node(i).sys.spawn([=, link = links[i][j]](caf::event_based_actor* self) {
      self->request(link, 1s, dca::cluster::link_trace_atom::value)
          .then([=](std::vector<std::string>& t) { *out = std::move(t); });
    });
    net.drain();
    return *out;
  }

  // Random adds and removes through random nodes, 10 ms apart; returns how many.
  void random_changes(std::mt19937_64& rng, int count, const std::string& prefix,
                      const std::vector<std::size_t>& through) {
    for (int k = 0; k < count; ++k) {
      auto i = through[rng() % through.size()];
      if (k > 3 && rng() % 4 == 0)
        remove(i, prefix + std::to_string(rng() % k));
      else
        add(i, prefix + std::to_string(k));
      net.advance(10ms);
    }
  }
};

std::size_t count_in(const std::vector<std::string>& lines, const std::string& what) {
  return static_cast<std::size_t>(std::count_if(
      lines.begin(), lines.end(), [&](auto& x) { return x.find(what) != std::string::npos; }));
}

} // namespace

TEST_CASE("three replicas over faulty links converge with every acknowledged add, also after a "
          "partition heals") {
  for (auto seed : crdt_test::seeds(3)) {
    INFO("seed " << seed << " (rerun with DCA_SEED=" << seed << ")");
    three_replicas t{seed};
    std::mt19937_64 rng{seed};
    t.random_changes(rng, 40, "before-", {0, 1, 2});
    t.net.advance(1s);
    CHECK(t.value(0) == t.value(1));
    CHECK(t.value(1) == t.value(2));
    // n3 cut off: both sides keep taking changes, and disagree.
    t.isolate(2, true);
    t.random_changes(rng, 20, "split-", {0, 1});
    t.add(2, "only-on-n3");
    t.net.advance(1s);
    CHECK(t.value(0) == t.value(1));
    CHECK(t.value(0) != t.value(2));
    CHECK_FALSE(t.value(0).contains("only-on-n3"));
    t.isolate(2, false);
    t.net.advance(1s);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(t.value(i) == t.value(0));
      CHECK(t.acks.lost_in(t.value(i).elements()) == 0);
      CHECK(t.state(i).refused == 0);
    }
    CHECK(t.value(0).contains("only-on-n3"));
    // The faults really happened.
    std::vector<std::string> all;
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 3; ++j)
        if (i != j)
          for (auto& line : t.trace(i, j))
            all.push_back(line);
    CHECK(count_in(all, " drop") > 0);
    CHECK(count_in(all, " duplicate") > 0);
    CHECK(count_in(all, " hold back") > 0);
    CHECK(count_in(all, "released after its delay") > 0); // after newer messages overtook it
    CHECK(count_in(all, " cut") > 0);
  }
}

TEST_CASE("one seed replays a replicated run exactly") {
  auto run = [](std::uint64_t seed) {
    three_replicas t{seed};
    std::mt19937_64 rng{seed};
    t.random_changes(rng, 20, "x-", {0, 1, 2});
    t.net.advance(1s);
    return std::make_pair(t.trace(0, 1), t.value(2));
  };
  auto first = run(7);
  auto again = run(7);
  CHECK(first.first == again.first);
  CHECK(first.second == again.second);
}

TEST_CASE("a replica refuses a delta from an unknown replica over the network, state unchanged") {
  three_replicas t{1};
  t.add(0, "apple");
  auto before = t.value(0);
  // Straight to n1's replica over the network, no fault link: the refusal is the only answer.
  auto direct = t.net.connect(t.net.node(0), t.net.node(1), t.carts[0], 6000);
  cart stray;
  auto from_stranger =
      ask_on<std::uint64_t>(t.net.node(1), direct, 1s, replica_delta_atom::value, replica_id{"z"},
                            std::uint64_t{1}, encode(stray.add("z", "intruder")));
  // A peer's name on a delta that names a stranger inside is refused as well.
  auto naming_stranger = ask_on<std::uint64_t>(t.net.node(1), direct, 1s, replica_delta_atom::value,
                                               replica_id{"b"}, std::uint64_t{1}, encode(stray));
  t.net.drain();
  CHECK(*from_stranger == "unknown_replica: a delta from replica 'z', not one of our peers");
  CHECK(*naming_stranger == "from replica 'b': unknown_replica: the causal context names replica "
                            "'z', not one of ours");
  CHECK(t.value(0) == before);
  CHECK(t.state(0).refused == 2);
}
