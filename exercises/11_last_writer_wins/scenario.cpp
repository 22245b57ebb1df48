// Exercise 11's harness: how `dca run 11` and `dca explore 11` drive both tracks. Shoppers add
// items through the three replicas of a cart; the naive shopper reads the whole cart, adds its item
// and writes the cart back, the CRDT shopper sends the add. Every add a replica acknowledges is
// recorded, and once the replicas have converged the harness counts, as Jepsen does, the
// acknowledged adds missing from the final cart. Both run on CAF's deterministic scheduler in
// virtual time, so the replicas' clocks are values of the run and one seed replays it exactly.
// Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <iomanip>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "caf/scheduler/test_coordinator.hpp"

#include "dca/assert.hpp"
#include "dca/cluster/fault_link.hpp"
#include "dca/crdt/acknowledged_adds.hpp"
#include "dca/explore/actor_explorer.hpp"

namespace last_writer_wins {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

const std::vector<dca::crdt::replica_id> names{"a", "b", "c"};
constexpr std::size_t skewed = 2; // c
constexpr int attempts_max = 10;  // an add unanswered ten times in a row is an outage
constexpr std::chrono::milliseconds shopper_timeout{1000};
constexpr std::chrono::milliseconds link_latency{5};
constexpr std::uint64_t think_ms_max = 200; // between a shopper's adds: 0-200 ms, seeded

// -- what the system acknowledged (Jepsen's history) ----------------------------------------------

struct history {
  dca::crdt::acknowledged_adds<item> acks;
  std::map<item, std::size_t> through; // the replica each acknowledged add went through
  std::size_t unanswered = 0;
};

// -- the shopper ----------------------------------------------------------------------------------

using next_atom = caf::atom_constant<caf::atom("next")>;

struct planned_add {
  item x = 0;
  std::size_t through = 0;            // the replica, an index into names
  std::chrono::milliseconds after{0}; // how long the shopper waits before this add
};

struct shopper_state {
  std::vector<planned_add> plan;
  std::size_t next = 0;
  int attempts = 0;
};

using shopper_actor = caf::stateful_actor<shopper_state>;

/// What every shopper of a run shares: the design it speaks to, the replicas, the history.
struct shop {
  design kind = design::or_set;
  std::vector<caf::actor> replicas;
  std::shared_ptr<history> log;
};

void add_next(shopper_actor* self, const shop& s);

/// The add in hand ended, acknowledged or given up: on to the next one.
void ended(shopper_actor* self, const shop& s, bool acknowledged) {
  auto& st = self->state;
  const auto& p = st.plan[st.next];
  if (acknowledged) {
    s.log->acks.added(p.x);
    s.log->through[p.x] = p.through;
  } else {
    ++s.log->unanswered;
  }
  st.attempts = 0;
  if (++st.next == st.plan.size())
    return;
  if (st.plan[st.next].after.count() > 0)
    self->delayed_send(self, st.plan[st.next].after, next_atom::value);
  else
    add_next(self, s);
}

/// One attempt at the add in hand: the naive shopper reads the whole cart and writes it back with
/// its item, the CRDT shopper sends the add. An unanswered attempt is made again.
void add_next(shopper_actor* self, const shop& s) {
  auto& st = self->state;
  const auto p = st.plan[st.next];
  auto replica = s.replicas[p.through];
  auto retry = [=](caf::error&) {
    if (++self->state.attempts < attempts_max)
      return add_next(self, s);
    ended(self, s, false);
  };
  auto acknowledged = [=](bool) { ended(self, s, true); };
  if (s.kind == design::or_set) {
    self->request(replica, shopper_timeout, add_atom::value, p.x).then(acknowledged, retry);
    return;
  }
  self->request(replica, shopper_timeout, get_atom::value)
      .then(
          [=](std::vector<item>& cart) {
            cart.push_back(p.x); // read, modify, write the whole cart back
            self->request(replica, shopper_timeout, put_atom::value, cart)
                .then(acknowledged, retry);
          },
          retry);
}

caf::behavior shopper(shopper_actor* self, std::vector<planned_add> plan, shop s) {
  self->state.plan = std::move(plan);
  if (!self->state.plan.empty() && self->state.plan.front().after.count() > 0)
    self->delayed_send(self, self->state.plan.front().after, next_atom::value);
  else if (!self->state.plan.empty())
    add_next(self, s);
  return {[=](next_atom) { add_next(self, s); }};
}

// -- the replicas ---------------------------------------------------------------------------------

std::vector<caf::actor> spawn_replicas(caf::actor_system& sys, design d,
                                       std::chrono::milliseconds skew) {
  std::vector<caf::actor> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    replica_node node{names[i], i == skewed ? -skew : std::chrono::milliseconds{0}, &sys.clock()};
    out.push_back(d == design::or_set ? spawn_cart_replica(sys, node)
                                      : spawn_lww_replica(sys, node));
  }
  return out;
}

/// Tells replica i that it reaches replica j through `handle(i, j)`.
template <class Handle>
void introduce(const std::vector<caf::actor>& replicas, Handle handle) {
  for (std::size_t i = 0; i < replicas.size(); ++i)
    for (std::size_t j = 0; j < replicas.size(); ++j)
      if (i != j)
        caf::anon_send(replicas[i], dca::crdt::replica_peer_atom::value, names[j], handle(i, j));
}

/// "[1, 2]"; a long cart is cut after its first items.
std::string cart_words(const std::vector<item>& cart) {
  constexpr std::size_t shown_max = 8;
  std::string out = "[";
  for (std::size_t i = 0; i < cart.size() && i < shown_max; ++i)
    out += (i ? ", " : "") + std::to_string(cart[i]);
  if (cart.size() > shown_max)
    out += ", ... " + std::to_string(cart.size()) + " items";
  return out + "]";
}

/// The verdict on the carts of the three replicas at the end: converged, and every acknowledged
/// add in the cart. Fills `out` with the counts.
void judge_carts(const std::vector<std::vector<item>>& carts, const history& h, cart_outcome& out) {
  out.acknowledged = h.acks.acknowledged();
  out.unanswered = h.unanswered;
  out.final_cart = carts.front();
  out.converged = std::all_of(carts.begin(), carts.end(), [&](auto& c) { return c == carts[0]; });
  std::set<item> final_set(carts[0].begin(), carts[0].end());
  out.lost = h.acks.lost_in(final_set);
  for (const auto& [x, through] : h.through)
    if (out.example.empty() && final_set.count(x) == 0)
      out.example = "item " + std::to_string(x) + ", added through " + names[through] +
                    " and acknowledged, is not in the converged cart " + cart_words(carts[0]);
}

/// One line on a run that broke the invariant, or nothing.
std::optional<std::string> verdict_of(const cart_outcome& o) {
  if (!o.converged)
    return std::string{"the replicas did not converge: they hold different carts at the end"};
  if (o.lost > 0)
    return o.example + ": lost " + with_commas(static_cast<std::int64_t>(o.lost)) + " of " +
           with_commas(static_cast<std::int64_t>(o.acknowledged)) + " acknowledged adds";
  return std::nullopt;
}

// -- virtual time ---------------------------------------------------------------------------------

/// A seeded link plan between two replicas: 5 ms of latency on every message and, with faults,
/// drops, repeats and reordering as well.
dca::cluster::fault_plan link_plan(const workload& w, std::size_t from, std::size_t to) {
  dca::cluster::fault_plan plan;
  plan.seed = w.seed * 16 + from * 4 + to;
  plan.delay = link_latency;
  plan.delay_per_mille = w.faults ? 600 : 1000;
  if (w.faults) {
    plan.drop_per_mille = 100;
    plan.duplicate_per_mille = 100;
    plan.reorder_per_mille = 100;
  }
  return plan;
}

std::vector<planned_add> plan_of(const workload& w, int shopper_index) {
  std::mt19937_64 rng{w.seed * 1'000 + static_cast<std::uint64_t>(shopper_index)};
  std::vector<planned_add> plan;
  for (int k = 0; k < w.adds_each; ++k)
    plan.push_back(
        {shopper_index * 100'000 + k + 1, static_cast<std::size_t>(rng() % 3),
         std::chrono::milliseconds{static_cast<std::int64_t>(rng() % (think_ms_max + 1))}});
  return plan;
}

/// The actors of one run on the test coordinator, driven until nothing is left to do.
class virtual_world {
public:
  virtual_world() : sys_(configured(cfg_)) {
    sched().clock().current_time += std::chrono::hours(1); // as CAF's own fixture: 0 is "unset"
  }

  ~virtual_world() {
    for (auto& a : spawned_)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    spawned_.clear();
    sched().run();
  }

  caf::actor_system& system() { return sys_; }
  void keep(caf::actor a) { spawned_.push_back(std::move(a)); }

  /// Runs every message and fires every timeout in time order; false if it never went quiet.
  bool run_until_quiet() {
    for (int rounds = 0; rounds < rounds_max; ++rounds) {
      sched().run();
      if (!sched().has_pending_timeout())
        return true;
      sched().trigger_timeout();
    }
    return false;
  }

  std::vector<item> cart_of(const caf::actor& replica) {
    auto cart = std::make_shared<std::vector<item>>();
    sys_.spawn([=](caf::event_based_actor* asker) {
      asker->request(replica, shopper_timeout, get_atom::value)
          .then([=](std::vector<item>& xs) { *cart = std::move(xs); }, [](caf::error&) {});
    });
    run_until_quiet();
    return *cart;
  }

private:
  static constexpr int rounds_max = 1'000'000;

  static caf::actor_system_config& configured(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    return cfg;
  }
  caf::scheduler::test_coordinator& sched() {
    return dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler());
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  std::vector<caf::actor> spawned_;
};

/// Cuts c off from both other replicas 100 ms into the run, and heals it 300 ms later.
void partition_c(const std::vector<std::vector<caf::actor>>& links) {
  using namespace std::chrono_literals;
  for (std::size_t j = 0; j < skewed; ++j)
    for (auto* link : {&links[skewed][j], &links[j][skewed]}) {
      caf::delayed_anon_send(*link, 100ms, dca::cluster::link_cut_atom::value, true, true);
      caf::delayed_anon_send(*link, 400ms, dca::cluster::link_cut_atom::value, false, false);
    }
}

} // namespace

std::uint64_t replica_node::now_ms() const {
  DCA_ASSERT(clock != nullptr);
  auto since =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock->now().time_since_epoch() + skew);
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, since.count()));
}

dca::crdt::replication_options replication() {
  dca::crdt::replication_options opts;
  opts.limits.bytes_max = std::size_t{4} << 20; // 32 shoppers x 1,000 adds fit with room to spare
  return opts;
}

dca::crdt::replica_timing replication_timing() {
  dca::crdt::replica_timing timing;
  timing.sync_period = std::chrono::milliseconds{50};
  timing.request_timeout = std::chrono::milliseconds{100}; // a round trip is 10 ms, 20 if held
  return timing;
}

cart_outcome run_workload(design d, const workload& w) {
  virtual_world world;
  auto& sys = world.system();
  auto replicas = spawn_replicas(sys, d, w.skew);
  std::vector<std::vector<caf::actor>> links(3, std::vector<caf::actor>(3));
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      if (i != j)
        world.keep(links[i][j] =
                       dca::cluster::spawn_fault_link(sys, replicas[j], link_plan(w, i, j)));
  introduce(replicas, [&](std::size_t i, std::size_t j) { return links[i][j]; });
  if (w.partition)
    partition_c(links);
  auto log = std::make_shared<history>();
  for (int s = 0; s < w.shoppers; ++s)
    world.keep(sys.spawn(shopper, plan_of(w, s), shop{d, replicas, log}));
  cart_outcome out;
  out.quiet = world.run_until_quiet();
  std::vector<std::vector<item>> carts;
  for (auto& r : replicas)
    carts.push_back(world.cart_of(r));
  judge_carts(carts, *log, out);
  for (auto& r : replicas)
    world.keep(r);
  return out;
}

namespace {

// -- dca run 11: the Jepsen-style table -----------------------------------------------------------

const std::vector<std::chrono::milliseconds> skews{
    std::chrono::milliseconds{0}, std::chrono::milliseconds{10}, std::chrono::milliseconds{100},
    std::chrono::milliseconds{1000}};

workload workload_of(const arguments& in) {
  workload w;
  w.shoppers = static_cast<int>(in.get("shoppers"));
  w.adds_each = static_cast<int>(in.get("adds"));
  w.seed = in.seed().value_or(1);
  return w;
}

/// Whether a run of the CRDT kept its promise: converged, quiet, every acknowledged add kept.
bool clean(const cart_outcome& o) {
  return o.converged && o.quiet && o.lost == 0;
}

/// `dca run 11`: the same seeded workload at every skew, against both designs, as one table.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  auto w = workload_of(in);
  std::ostringstream table;
  table << "one workload (" << w.shoppers << " shoppers x " << w.adds_each << " adds, seed "
        << w.seed << "), in virtual time; lost = acknowledged adds missing from the final cart\n"
        << std::right << std::setw(14) << "c's clock" << std::setw(14) << "acknowledged"
        << std::setw(22) << "lost: last-writer-" << std::setw(16) << "lost: OR-Set\n"
        << std::setw(14) << "behind by" << std::setw(14) << "adds" << std::setw(22)
        << "wins (shared state)" << std::setw(16) << "(yours)\n";
  run_result r;
  std::string lww_lost;
  bool crdt_clean = true;
  for (std::size_t k = 0; k < skews.size(); ++k) {
    w.skew = skews[k];
    auto lww = run_workload(design::last_writer_wins, w);
    auto crdt = run_workload(design::or_set, w);
    crdt_clean = crdt_clean && clean(crdt);
    auto ms = std::to_string(w.skew.count());
    table << std::setw(11) << ms << " ms" << std::setw(14) << lww.acknowledged << std::setw(22)
          << lww.lost << std::setw(15) << crdt.lost << (clean(crdt) ? "" : " (NOT clean)") << '\n';
    lww_lost += (k ? ", " : "") + with_commas(static_cast<std::int64_t>(lww.lost));
    r.corrupted = r.corrupted || lww.lost > 0 || !clean(crdt);
    r.fields.push_back({"acknowledged_skew_" + ms, std::to_string(lww.acknowledged)});
    r.fields.push_back({"lost_lww_skew_" + ms, std::to_string(lww.lost)});
    r.fields.push_back({"lost_or_set_skew_" + ms, std::to_string(crdt.lost)});
    progress(static_cast<double>(k + 1) / static_cast<double>(skews.size()));
  }
  r.table = table.str();
  r.summary = "last-writer-wins lost " + lww_lost +
              " acknowledged adds at c's skew 0, 10, 100, 1000 ms; the OR-Set " +
              (crdt_clean ? "lost none" : "LOST ADDS or did not converge");
  return r;
}

/// `dca run 11 --variant actors`: the OR-Set alone, at every skew.
run_result run_actors(const arguments& in, const progress_fn& progress) {
  auto w = workload_of(in);
  run_result r;
  std::size_t acknowledged = 0;
  std::string trouble;
  for (std::size_t k = 0; k < skews.size(); ++k) {
    w.skew = skews[k];
    auto o = run_workload(design::or_set, w);
    acknowledged += o.acknowledged;
    if (trouble.empty() && !clean(o))
      trouble = "at skew " + std::to_string(w.skew.count()) +
                " ms: " + verdict_of(o).value_or("the replicas never went quiet");
    progress(static_cast<double>(k + 1) / static_cast<double>(skews.size()));
  }
  r.corrupted = !trouble.empty();
  r.summary = r.corrupted ? trouble
                          : "every one of " + with_commas(static_cast<std::int64_t>(acknowledged)) +
                                " acknowledged adds is in the converged cart, at every skew of c's "
                                "clock (0, 10, 100, 1000 ms)";
  r.fields = {{"acknowledged", std::to_string(acknowledged)}, {"clean", r.corrupted ? "0" : "1"}};
  return r;
}

// -- exploring ------------------------------------------------------------------------------------

/// c's clock in the explored world: far enough behind that its write loses every merge.
constexpr std::chrono::milliseconds explore_skew{100};

/// Two shoppers at once, ann adding item 1 through a and bob item 2 through c; with
/// `lossy_links` the explorer may also lose a message into c and repeat one.
dca::explore::report explore_with(design d, bool lossy_links, const dca::explore::options& opts) {
  auto make = [=] {
    auto replicas = std::make_shared<std::vector<caf::actor>>();
    auto log = std::make_shared<history>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      *replicas = spawn_replicas(world.system(), d, explore_skew);
      for (std::size_t i = 0; i < names.size(); ++i)
        world.name((*replicas)[i], "replica " + names[i]);
      introduce(*replicas, [&](std::size_t, std::size_t j) { return (*replicas)[j]; });
      shop s{d, *replicas, log};
      world.name(world.system().spawn(shopper, std::vector<planned_add>{{1, 0, {}}}, s), "ann");
      world.name(world.system().spawn(shopper, std::vector<planned_add>{{2, skewed, {}}}, s),
                 "bob");
      world.between_nodes(); // the replicas are three nodes: show the deltas between them
      if (lossy_links)       // into c: bob's add, a's and b's deltas, their acknowledgements
        world.lossy((*replicas)[skewed], {1, 1});
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      std::vector<std::vector<item>> carts;
      for (auto& r : *replicas) {
        auto cart = world.ask<std::vector<item>>(r, get_atom::value);
        if (!cart)
          return std::string{"replica did not answer: "} + caf::to_string(cart.error());
        carts.push_back(*cart);
      }
      cart_outcome o;
      judge_carts(carts, *log, o);
      return verdict_of(o);
    };
    return ex;
  };
  // Faults are choices of the bounded and random searches, not of DPOR (actor_explorer.hpp).
  auto search = opts;
  if (lossy_links && search.search == dca::explore::strategy::dpor)
    search.search = dca::explore::strategy::systematic;
  auto r = dca::explore::explore_actors(make, search);
  if (r.result == dca::explore::outcome::invariant_broken && d == design::last_writer_wins)
    r.verdict += " (c's clock runs " + std::to_string(explore_skew.count()) + " ms behind)";
  return r;
}

dca::explore::report explore_shared(const dca::explore::options& opts) {
  return explore_with(design::last_writer_wins, false, opts);
}

dca::explore::report explore_actors(const dca::explore::options& opts) {
  return explore_with(design::or_set, true, opts);
}

} // namespace

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {{"shoppers", 4, 1, 32, "how many shoppers add items at once"},
                   {"adds", 50, 1, 1'000, "how many items each shopper adds, one after another"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace last_writer_wins
