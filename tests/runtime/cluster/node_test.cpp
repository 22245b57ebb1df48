// Nodes on simulated processes: shards split between members, commands routed to their key's
// single activation, and a partition that moves shards and heals with no acknowledged event lost
// and no stream holding events of two epochs interleaved.
#include "cluster_test_support.hpp"

#include <functional>
#include <map>
#include <set>

#include "dca/cluster/fault_link.hpp"
#include "dca/cluster/journal_decorator.hpp"
#include "dca/cluster/memory_lease_table.hpp"
#include "dca/cluster/node.hpp"
#include "dca/cluster/shard_map.hpp"

using namespace dca::cluster;
using namespace std::chrono_literals;
using dca::es::ack;

namespace {

// The shared journal as the test sees it: the epoch of every event that was written.
class recording_journal : public journal_decorator {
public:
  using journal_decorator::journal_decorator;

  std::map<std::string, std::vector<std::uint64_t>> epochs_by_key; // in seq order

  void append(dca::es::append_request req, dca::es::append_callback done) override {
    auto key = req.entity.key;
    auto epoch = req.fence ? req.fence->epoch : 0;
    auto count = req.events.size();
    inner().append(std::move(req),
                   [=, done = std::move(done)](caf::expected<dca::es::append_result> r) {
                     if (r)
                       epochs_by_key[key].insert(epochs_by_key[key].end(), count, epoch);
                     done(std::move(r));
                   });
  }
};

// A node's way to the shared lease table, which a test can cut (a node cut off from PostgreSQL)
// or hold (a slow table: the node's passes wait in `held` until the test runs them).
class cuttable_leases : public lease_table {
public:
  explicit cuttable_leases(std::shared_ptr<lease_table> table) : table_(std::move(table)) {}
  bool cut = false;
  bool hold = false;
  std::vector<std::function<void()>> held;

  void run_io(std::function<void()> task) override {
    if (hold)
      held.push_back(std::move(task));
    else
      task();
  }

  /// Lets the held passes run (each sends its node the result) and stops holding.
  void release_held() {
    hold = false;
    auto tasks = std::move(held);
    held.clear();
    for (auto& t : tasks)
      t();
  }

  caf::expected<shard_lease> acquire(std::uint32_t shard, const std::string& node,
                                     lease_clock::time_point now,
                                     std::chrono::milliseconds ttl) override {
    if (cut)
      return unreachable();
    return table_->acquire(shard, node, now, ttl);
  }
  caf::error release(std::uint32_t shard, const std::string& node, std::uint64_t epoch) override {
    return cut ? unreachable() : table_->release(shard, node, epoch);
  }
  caf::expected<std::vector<shard_lease>> leases(lease_clock::time_point now) override {
    if (cut)
      return unreachable();
    return table_->leases(now);
  }

private:
  static caf::error unreachable() {
    return dca::es::make_error(dca::es::errc::journal_io, "lease table unreachable");
  }
  std::shared_ptr<lease_table> table_;
};

struct outcome {
  bool done = false;
  std::optional<ack> acked;
  std::string error;
};

struct two_node_cluster {
  sim_network net{2};
  std::shared_ptr<dca::es::memory_journal> journal = std::make_shared<dca::es::memory_journal>();
  std::shared_ptr<recording_journal> recorder = std::make_shared<recording_journal>(journal);
  std::shared_ptr<memory_lease_table> table = std::make_shared<memory_lease_table>(journal);
  std::shared_ptr<cuttable_leases> leases1 = std::make_shared<cuttable_leases>(table);
  std::shared_ptr<cuttable_leases> leases2 = std::make_shared<cuttable_leases>(table);
  caf::actor node1, node2, link12, link21;
  std::vector<std::string> keys;

  static node_options options(std::string name) {
    node_options o;
    o.name = std::move(name);
    o.shards = 8;
    o.lease_ttl = 1000ms;
    o.rebalance_interval = 200ms;
    o.request_timeout = 2000ms;
    o.heartbeat = {100ms, 5};
    o.entity.hibernate_after = 0ms; // no idle timers: virtual time moves only when told
    o.entity.idle_timeout = 0ms;
    return o;
  }

  two_node_cluster() {
    auto& n1 = net.node(0);
    auto& n2 = net.node(1);
    node1 = spawn_node<counter>(n1.sys, options("n1"), leases1, recorder);
    node2 = spawn_node<counter>(n2.sys, options("n2"), leases2, recorder);
    link12 = spawn_fault_link(n1.sys, net.connect(n2, n1, node2, 6002), fault_plan{});
    link21 = spawn_fault_link(n2.sys, net.connect(n1, n2, node1, 6001), fault_plan{});
    net.stop_at_end(link12);
    net.stop_at_end(link21);
    caf::anon_send(node1, join_atom::value, "n2", link12);
    caf::anon_send(node2, join_atom::value, "n1", link21);
    net.advance(1s);
    for (int i = 0; i < 24; ++i)
      keys.push_back("acct-" + std::to_string(i));
  }

  node_status status(sim_node& on, const caf::actor& node) {
    auto out = std::make_shared<node_status>();
    on.sys.spawn([=](caf::event_based_actor* self) {
      self->request(node, 1s, status_atom::value).then([=](node_status& s) { *out = s; });
    });
    net.drain();
    return *out;
  }

  // One `add{1}` per key through `node` on `on`; virtual time runs until every one has its answer.
  std::map<std::string, outcome> command_all(sim_node& on, const caf::actor& node,
                                             const std::vector<std::string>& which) {
    std::map<std::string, std::shared_ptr<outcome>> pending;
    for (auto& k : which) {
      auto o = pending[k] = std::make_shared<outcome>();
      on.sys.spawn([=](caf::event_based_actor* self) {
        self->request(node, 10s, dca::es::command_atom::value, k, counter::command{add{1}},
                      std::string{})
            .then(
                [=](const ack& a) {
                  *o = {true, a, {}};
                },
                [=](caf::error& e) {
                  *o = {true, std::nullopt, dca::es::render(e)};
                });
      });
    }
    net.drain();
    auto all_done = [&] {
      return std::all_of(pending.begin(), pending.end(), [](auto& p) { return p.second->done; });
    };
    for (int i = 0; i < 1000 && !all_done(); ++i)
      net.advance(10ms);
    std::map<std::string, outcome> out;
    for (auto& [k, o] : pending)
      out[k] = *o;
    return out;
  }
};

std::set<std::uint32_t> shards_of(const node_status& s) {
  return {s.shards.begin(), s.shards.end()};
}

void check_shards_split(const node_status& a, const node_status& b, std::uint32_t shards) {
  std::set<std::uint32_t> all;
  for (auto s : a.shards)
    CHECK(all.insert(s).second);
  for (auto s : b.shards)
    CHECK(all.insert(s).second); // no shard owned twice
  CHECK(all.size() == shards);
}

} // namespace

TEST_CASE("two nodes split the shards and a command on either node reaches its key's entity") {
  two_node_cluster c;
  auto s1 = c.status(c.net.node(0), c.node1);
  auto s2 = c.status(c.net.node(1), c.node2);
  CHECK(s1.live_members == std::vector<std::string>{"n1", "n2"});
  CHECK_FALSE(s1.shards.empty());
  CHECK_FALSE(s2.shards.empty());
  check_shards_split(s1, s2, 8);
  auto first = c.command_all(c.net.node(0), c.node1, c.keys);
  auto second = c.command_all(c.net.node(1), c.node2, c.keys);
  for (auto& k : c.keys) {
    REQUIRE(first[k].acked);
    REQUIRE(second[k].acked);
    CHECK(first[k].acked->seq == 1);
    CHECK(second[k].acked->seq == 2); // the same single activation, whichever node was asked
  }
}

TEST_CASE("a partition moves shards, fences the cut-off owner and heals with no event lost") {
  two_node_cluster c;
  auto n2_before = shards_of(c.status(c.net.node(1), c.node2));
  std::vector<std::string> n2_keys;
  for (auto& k : c.keys)
    if (n2_before.count(shard_of(k, 8)))
      n2_keys.push_back(k);
  REQUIRE_FALSE(n2_keys.empty());
  std::map<std::string, std::uint64_t> acks; // per key: commands acknowledged
  auto count = [&](const std::map<std::string, outcome>& out) {
    for (auto& [k, o] : out)
      if (o.acked)
        CHECK(o.acked->seq == ++acks[k]);
  };
  count(c.command_all(c.net.node(0), c.node1, c.keys));

  // n2 is cut off from n1 and from the lease table (a partition, or SIGSTOP).
  caf::anon_send(c.link12, link_cut_atom::value, true, true);
  caf::anon_send(c.link21, link_cut_atom::value, true, true);
  c.leases2->cut = true;
  c.net.advance(2500ms);
  auto n1_cut = c.status(c.net.node(0), c.node1);
  CHECK(n1_cut.live_members == std::vector<std::string>{"n1"});
  CHECK(n1_cut.shards.size() == 8); // n2's leases expired; n1 took them at a new epoch
  CHECK(shards_of(c.status(c.net.node(1), c.node2)) == n2_before); // n2 still believes
  auto during = c.command_all(c.net.node(0), c.node1, c.keys);
  for (auto& k : c.keys)
    CHECK(during[k].acked); // recovered from the journal on n1: seq continues
  count(during);
  // The cut-off owner takes commands for its old shards, and the journal refuses every write.
  for (auto& [k, o] : c.command_all(c.net.node(1), c.node2, n2_keys)) {
    CHECK_FALSE(o.acked);
    CHECK(o.error.find("stale_epoch") != std::string::npos);
  }

  caf::anon_send(c.link12, link_cut_atom::value, false, false);
  caf::anon_send(c.link21, link_cut_atom::value, false, false);
  c.leases2->cut = false;
  c.net.advance(3s);
  auto s1 = c.status(c.net.node(0), c.node1);
  auto s2 = c.status(c.net.node(1), c.node2);
  CHECK(s1.live_members == std::vector<std::string>{"n1", "n2"});
  check_shards_split(s1, s2, 8);
  CHECK(shards_of(s2) == n2_before); // handed back, at a newer epoch again
  count(c.command_all(c.net.node(1), c.node2, c.keys));
  count(c.command_all(c.net.node(0), c.node1, c.keys));

  // Every acknowledged command's event is in the journal exactly once, and each stream's epochs
  // only grow: no two owners' writes interleaved.
  bool moved_twice = false;
  for (auto& k : c.keys) {
    std::vector<dca::es::event_record> events;
    REQUIRE_FALSE(c.journal->read_stream({"counter", k}, 1, 1000, events));
    CHECK(events.size() == acks[k]);
    auto& epochs = c.recorder->epochs_by_key[k];
    CHECK(epochs.size() == acks[k]);
    CHECK(std::is_sorted(epochs.begin(), epochs.end()));
    moved_twice |= std::set<std::uint64_t>(epochs.begin(), epochs.end()).size() >= 3;
  }
  CHECK(moved_twice);
}

TEST_CASE("a node keeps answering while its lease table holds its pass") {
  two_node_cluster c;
  auto before = c.status(c.net.node(0), c.node1);
  c.leases1->hold = true;
  c.net.advance(700ms);                 // three rebalance periods: n1's pass waits on the table
  REQUIRE(c.leases1->held.size() == 1); // one pass in flight; later periods wait for it
  auto during = c.status(c.net.node(0), c.node1);
  CHECK(during.shards == before.shards); // the node answers, and still owns its shards
  for (auto& [k, o] : c.command_all(c.net.node(0), c.node1, c.keys))
    CHECK(o.acked); // commands for either node's shards, through the waiting node
  c.leases1->release_held();
  c.net.advance(500ms);
  CHECK(c.leases1->held.empty());
  auto after = c.status(c.net.node(0), c.node1);
  CHECK(after.shards == before.shards);
  CHECK(after.epochs == before.epochs); // renewed, not taken again
}

namespace {

/// A command of an entity type the cluster's nodes do not host.
struct reset_all {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reset_all&) {
  return f(caf::meta::type_name("reset_all"));
}

} // namespace

TEST_CASE("a command for an entity type the node does not host is refused and the node runs on") {
  two_node_cluster c;
  auto& on = c.net.node(0);
  auto answer = std::make_shared<std::string>();
  on.sys.spawn([=, node = c.node1](caf::event_based_actor* self) {
    self->request(node, 1s, dca::es::command_atom::value, std::string{"acct-0"},
                  caf::variant<reset_all>{reset_all{}}, std::string{})
        .then([=](const ack&) { *answer = "acked"; },
              [=](caf::error& e) { *answer = dca::es::render(e); });
  });
  c.net.drain();
  CHECK(answer->rfind("not_hosted: node n1 hosts counter entities only: ", 0) == 0);
  CHECK(answer->find("is a command for another entity type") != std::string::npos);
  auto after = c.command_all(on, c.node1, {"acct-0"});
  REQUIRE(after["acct-0"].acked); // the node kept running
  CHECK(after["acct-0"].acked->seq == 1);
}
