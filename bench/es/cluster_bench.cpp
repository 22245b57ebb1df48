// B-cluster: a command to an entity owned by another node, against a raw CAF remote request, both
// over CAF's middleman on loopback in the same run. Two actor systems in this process (node "a"
// and node "b", each with its own middleman, talking over a TCP connection on 127.0.0.1) share a
// memory journal and a memory lease table, so the figures are the cluster's routing and entity
// work, not PostgreSQL's commit (bench_es_postgres_append measures that).
//   ours      a client on a's system sends (command_atom, key, deposit, "") to node a; a passes it
//             to b (the key's owner: in a batch over the middleman); b's entity host runs the
//             entity, which appends to the memory journal and answers; the ack goes back through a.
//   raw CAF   the same client sends (ping_atom, n) to an echo actor b's system published, through
//             the same middlemen: one remote request, nothing else.
// Latency: one request at a time (p50 and p99 of --n requests). Throughput: --in-flight requests
// kept outstanding until --n have been answered. --runs alternate ours and raw; medians reported.
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <future>
#include <memory>

#include "bench_support.hpp"
#include "dca/cluster/memory_lease_table.hpp"
#include "dca/cluster/node.hpp"
#include "dca/cluster/node_process.hpp"
#include "dca/cluster/shard_map.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/examples/bank.hpp"

using namespace dca::es::bench;
namespace bank = dca::examples::bank;
namespace cluster = dca::cluster;

namespace {

struct bench_config : caf::actor_system_config {
  bench_config() {
    load<caf::io::middleman>();
    cluster::add_node_messages<bank::account>(*this, "bank_account_command");
  }
};

/// What one client run measured.
struct client_figures {
  std::vector<double> latencies_us; // closed loop: one per request
  double seconds = 0;               // wall time of the whole run
  std::size_t failed = 0;
  std::string first_error;
};

/// The n-th request a client sends: to `target`, built by `make`.
using request_maker = std::function<caf::message(std::size_t)>;

struct client_state {
  caf::actor target;
  request_maker make;
  std::size_t n = 0;
  std::size_t sent = 0;
  std::size_t answered = 0;
  clock_type::time_point t0;
  client_figures figures;
  std::shared_ptr<std::promise<client_figures>> done;
};

template <class Reply>
void send_next(caf::stateful_actor<client_state>* self) {
  auto& st = self->state;
  auto i = st.sent++;
  auto started = clock_type::now();
  auto answered = [self, started](bool ok, const caf::error* err) {
    auto& s = self->state;
    s.figures.latencies_us.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - started).count());
    s.figures.failed += ok ? 0 : 1;
    if (err != nullptr && s.figures.first_error.empty())
      s.figures.first_error = self->system().render(*err);
    if (++s.answered == s.n) {
      s.figures.seconds = seconds_since(s.t0);
      s.done->set_value(std::move(s.figures));
      self->quit();
    } else if (s.sent < s.n) {
      send_next<Reply>(self);
    }
  };
  self->request(st.target, std::chrono::seconds{10}, st.make(i))
      .then([answered](const Reply&) { answered(true, nullptr); },
            [answered](const caf::error& err) { answered(false, &err); });
}

/// `n` requests to `target`, `in_flight` outstanding at a time, from an actor on `sys`.
template <class Reply>
client_figures run_client(caf::actor_system& sys, caf::actor target, request_maker make,
                          std::size_t n, std::size_t in_flight) {
  auto done = std::make_shared<std::promise<client_figures>>();
  auto result = done->get_future();
  sys.spawn([=](caf::stateful_actor<client_state>* self) {
    auto& st = self->state;
    st.target = target;
    st.make = make;
    st.n = n;
    st.done = done;
    st.t0 = clock_type::now();
    st.figures.latencies_us.reserve(n);
    for (std::size_t k = 0; k < in_flight && st.sent < n; ++k)
      send_next<Reply>(self);
    return caf::behavior{[](caf::ok_atom) {}}; // answers arrive through the requests' handlers
  });
  return result.get();
}

caf::behavior echo() {
  return {[](caf::ping_atom, std::int64_t x) { return x; }};
}

/// Both nodes live and routing every shard to its preferred owner of the two. (Every shard owned
/// is not enough: the node that started first holds all of them until it hands half over, and
/// the other learns the new owners at its next rebalance.)
bool settled(caf::actor_system& sys, const caf::actor& a, const caf::actor& b) {
  caf::scoped_actor self{sys};
  auto shards = cluster::node_options{}.shards;
  bool ok = true;
  for (auto& node : {a, b})
    self->request(node, std::chrono::seconds{5}, cluster::status_atom::value)
        .receive(
            [&](const cluster::node_status& s) {
              ok = ok && s.live_members.size() == 2 && s.owners.size() == shards;
              for (std::uint32_t shard = 0; ok && shard < shards; ++shard)
                ok = s.owners[shard] == cluster::preferred_owner(shard, {"a", "b"});
            },
            [&](const caf::error&) { ok = false; });
  return ok;
}

/// Keys whose shard node "b" owns (the preferred owner of two members "a" and "b").
std::vector<std::string> keys_owned_by_b(std::size_t count) {
  std::vector<std::string> keys;
  auto shards = cluster::node_options{}.shards;
  for (std::size_t i = 0; keys.size() < count; ++i) {
    auto key = "acct-" + std::to_string(i);
    if (cluster::preferred_owner(cluster::shard_of(key, shards), {"a", "b"}) == "b")
      keys.push_back(key);
  }
  return keys;
}

struct two_systems {
  bench_config cfg_a;
  bench_config cfg_b;
  caf::actor_system a{cfg_a};
  caf::actor_system b{cfg_b};
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_es_cluster: %s\n", what.c_str());
  std::exit(1);
}

/// `handle`, published on `from`'s middleman, as `to` reaches it over loopback.
caf::actor remote(caf::actor_system& from, caf::actor_system& to, const caf::actor& handle) {
  auto port = from.middleman().publish(handle, 0, "127.0.0.1");
  if (!port)
    die("cannot publish: " + from.render(port.error()));
  auto h = to.middleman().remote_actor("127.0.0.1", *port);
  if (!h)
    die("cannot reach a published actor: " + to.render(h.error()));
  return *h;
}

struct cluster_pair {
  caf::actor node_a;
  caf::actor node_b;
};

cluster_pair start_nodes(two_systems& sys) {
  auto journal = std::make_shared<dca::es::memory_journal>();
  auto leases = std::make_shared<cluster::memory_lease_table>(journal);
  cluster::node_options opts;
  opts.name = "a";
  auto a = cluster::spawn_node<bank::account>(sys.a, opts, leases, journal);
  opts.name = "b";
  auto b = cluster::spawn_node<bank::account>(sys.b, opts, leases, journal);
  caf::anon_send(a, cluster::join_atom::value, std::string{"b"}, remote(sys.b, sys.a, b));
  caf::anon_send(b, cluster::join_atom::value, std::string{"a"}, remote(sys.a, sys.b, a));
  auto deadline = clock_type::now() + std::chrono::seconds{30};
  while (!settled(sys.a, a, b)) {
    if (clock_type::now() > deadline)
      die("the two nodes did not share out the shards within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds{50}); // polling a state, not a race
  }
  return {a, b};
}

} // namespace

int main(int argc, char** argv) {
  flags f{argc, argv, "bench_es_cluster"};
  auto n = static_cast<std::size_t>(f.number("n", 20000));
  auto warmup = static_cast<std::size_t>(f.number("warmup", 2000));
  auto in_flight = static_cast<std::size_t>(f.number("in-flight", 1000));
  auto runs = static_cast<std::size_t>(f.number("runs", 3));
  auto accounts = static_cast<std::size_t>(f.number("accounts", 100));
  f.done();
  two_systems sys;
  auto nodes = start_nodes(sys);
  auto echo_local = sys.b.spawn(echo);
  auto echo_b = remote(sys.b, sys.a, echo_local);
  auto keys = keys_owned_by_b(accounts);
  auto open = run_client<dca::es::ack>(
      sys.a, nodes.node_a,
      [&](std::size_t i) {
        return caf::make_message(dca::es::command_atom::value, keys[i],
                                 bank::account::command{bank::open_account{keys[i]}},
                                 std::string{});
      },
      keys.size(), keys.size());
  if (open.failed > 0)
    die(std::to_string(open.failed) + " accounts could not be opened");
  request_maker ours = [&](std::size_t i) {
    return caf::make_message(dca::es::command_atom::value, keys[i % keys.size()],
                             bank::account::command{bank::deposit{1}}, std::string{});
  };
  request_maker raw = [](std::size_t i) {
    return caf::make_message(caf::ping_atom::value, static_cast<std::int64_t>(i));
  };
  run_client<dca::es::ack>(sys.a, nodes.node_a, ours, warmup, 1);
  run_client<std::int64_t>(sys.a, echo_b, raw, warmup, 1);
  std::vector<double> p50[2], p99[2], mean[2], rate[2];
  std::size_t failed = 0;
  for (std::size_t r = 0; r < runs; ++r) {
    for (int k = 0; k < 2; ++k) {
      auto closed = k == 0 ? run_client<dca::es::ack>(sys.a, nodes.node_a, ours, n, 1)
                           : run_client<std::int64_t>(sys.a, echo_b, raw, n, 1);
      auto piped = k == 0 ? run_client<dca::es::ack>(sys.a, nodes.node_a, ours, n, in_flight)
                          : run_client<std::int64_t>(sys.a, echo_b, raw, n, in_flight);
      failed += closed.failed + piped.failed;
      for (auto* run : {&closed, &piped})
        if (!run->first_error.empty())
          std::fprintf(stderr, "%s: %s\n", k == 0 ? "ours" : "raw", run->first_error.c_str());
      p50[k].push_back(percentile(closed.latencies_us, 0.50));
      p99[k].push_back(percentile(closed.latencies_us, 0.99));
      mean[k].push_back(closed.seconds * 1e6 / static_cast<double>(n));
      rate[k].push_back(static_cast<double>(n) / piped.seconds);
    }
  }
  auto med = [](const std::vector<double>& xs) { return percentile(xs, 0.5); };
  std::printf("two nodes in one process over loopback, %zu requests per figure, median of %zu "
              "runs; %zu requests failed\n",
              n, runs, failed);
  row("cross-node entity command, p50 latency", med(p50[0]), "us", "raw CAF remote request",
      med(p50[1]), "target <= 1.2x");
  row("cross-node entity command, p99 latency", med(p99[0]), "us", "raw CAF remote request",
      med(p99[1]), "");
  row("cross-node entity command, mean latency", med(mean[0]), "us", "raw CAF remote request",
      med(mean[1]), "");
  row("cross-node entity commands, pipelined", med(rate[0]), "req/s", "raw CAF remote requests",
      med(rate[1]), "target >= 1.0x");
  caf::anon_send_exit(nodes.node_a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(nodes.node_b, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(echo_local, caf::exit_reason::user_shutdown);
  return failed == 0 ? 0 : 1;
}
