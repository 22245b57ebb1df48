// Exercise 14's harness: how `dca run 14` and `dca explore 14` drive both tracks. Node 1 owns
// account-42, node 2 stands by; clients send withdrawals to both. `dca run` puts a seeded fault
// link (dca::cluster) in front of node 2, which loses heartbeats, on real threads, once per seeded
// partition; `dca explore` lets the explorer lose a heartbeat as a choice of the schedule. The
// journal must read as one owner's history: seqs 1, 2, 3, ... and never below zero. The journal
// and the lease table are actors here (simulated PostgreSQL fence and etcd lease; the real ones
// are tested in tests/runtime/cluster). Learners may read it; they need not change it.
#include "scenario.hpp"

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "dca/assert.hpp"
#include "dca/cluster/fault_link.hpp"
#include "dca/explore/actor_explorer.hpp"

namespace split_brain {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

// -- the journal and the lease table --------------------------------------------------------------

struct journal_state {
  std::vector<entry> events;
  std::uint64_t fence = 0;
  refusals refused;
};

caf::behavior journal(caf::stateful_actor<journal_state>* self) {
  return {
      // [slide:fence]
      [=](append_atom, int node, std::uint64_t epoch, std::uint64_t seq, std::int64_t cents) {
        if (epoch < self->state.fence) {
          ++self->state.refused.stale_epoch;
          return false; // a stale epoch: an owner that has been replaced
        }
        self->state.events.push_back(entry{node, epoch, seq, cents});
        return true;
      },
      [=](adopt_atom, std::uint64_t epoch) {
        self->state.fence = std::max(self->state.fence, epoch);
        return self->state.events; // read in the same step as the fence went up
      },
      // [/slide:fence]
      [=](events_atom) { return self->state.events; },
      [=](refused_atom) { return self->state.refused; },
  };
}

caf::behavior leases(caf::stateful_actor<std::uint64_t>* self) {
  return {[=](take_atom, int) { return ++self->state; }};
}

// -- a node ---------------------------------------------------------------------------------------

/// Serves one withdrawal as the owner: appends it at the node's epoch, one append at a time.
void serve_withdrawal(node_actor* self, std::int64_t cents, caf::response_promise rp,
                      caf::actor standby) {
  auto& own = self->state.own;
  if (!self->state.active || own.balance < cents) {
    rp.deliver(false);
    return;
  }
  self->request(self->state.journal, caf::infinite, append_atom::value, self->state.id, own.epoch,
                own.seq + 1, -cents)
      .await([=](bool appended) mutable {
        auto& now = self->state.own;
        if (!appended) {
          self->state.active = false; // fenced off: another node owns the account now
          rp.deliver(false);
          return;
        }
        now.balance -= cents;
        now.seq += 1;
        if (standby)
          self->send(standby, heartbeat_atom::value, now.balance, now.seq);
        rp.deliver(true);
      });
}

void become_owner(node_actor* self, take_over_fn take_over, caf::actor standby) {
  self->state.taking_over = true;
  take_over(self, [=](ownership own) {
    self->state.taking_over = false;
    self->state.own = own;
    self->state.active = true;
    if (standby)
      self->send(standby, heartbeat_atom::value, own.balance, own.seq);
    auto waiting = std::move(self->state.waiting);
    self->state.waiting.clear();
    for (auto& [cents, rp] : waiting)
      serve_withdrawal(self, cents, rp, standby);
  });
}

using decide_atom = caf::atom_constant<caf::atom("decide")>;

caf::behavior node(node_actor* self, int id, caf::actor journal_of, caf::actor leases_of,
                   take_over_fn take_over, caf::actor standby, bool owner,
                   std::chrono::milliseconds heartbeat_timeout) {
  self->state.id = id;
  self->state.journal = std::move(journal_of);
  self->state.leases = std::move(leases_of);
  if (owner)
    become_owner(self, take_over, standby);
  else
    self->delayed_send(self, heartbeat_timeout, decide_atom::value);
  return {
      [=](withdraw_atom, std::int64_t cents) -> caf::result<bool> {
        auto rp = self->make_response_promise<bool>();
        auto undecided = !owner && !self->state.heard && !self->state.decided;
        if (!self->state.active && (self->state.taking_over || undecided))
          self->state.waiting.emplace_back(cents, rp);
        else
          serve_withdrawal(self, cents, rp, standby);
        return rp;
      },
      [=](heartbeat_atom, std::int64_t balance, std::uint64_t seq) {
        self->state.heard = true;
        self->state.copy.balance = balance;
        self->state.copy.seq = seq;
      },
      [=](decide_atom) {
        self->state.decided = true;
        if (!self->state.heard)
          return become_owner(self, take_over, standby); // silence taken for death
        for (auto& w : self->state.waiting)
          w.second.deliver(false); // the owner is alive: this node serves nothing
        self->state.waiting.clear();
      },
      [=](owns_atom) { return self->state.active; },
  };
}

// -- judging --------------------------------------------------------------------------------------

std::string verdict_words(const journal_verdict& v) {
  return with_commas(v.dual_owner_appends) + " dual-owner appends (" +
         with_commas(v.duplicate_seqs) + " events sharing a (key, seq)), lowest balance " +
         std::to_string(v.lowest_balance) + " cents" +
         (v.stale_epoch_appends > 0
              ? ", " + with_commas(v.stale_epoch_appends) + " appends at a replaced owner's epoch"
              : std::string{});
}

/// What stopped the appends that did not land: the fence, or (the real journal) the stream's own
/// check that an append continues it; and how many landed with no fence at all.
std::string refusal_words(const refusals& refused, const journal_verdict& v) {
  auto out = with_commas(static_cast<std::int64_t>(refused.stale_epoch)) + " refused as stale";
  if (refused.other > 0)
    out += ", " + with_commas(static_cast<std::int64_t>(refused.other)) +
           " by the journal's seq check";
  if (v.unfenced_appends > 0)
    out += "; " + with_commas(v.unfenced_appends) + " appends carried no fence";
  return out;
}

bool broken(const journal_verdict& v) {
  return v.dual_owner_appends > 0 || v.duplicate_seqs > 0 || v.stale_epoch_appends > 0 ||
         v.lowest_balance < 0;
}

// -- running --------------------------------------------------------------------------------------

/// How long the standby waits for a heartbeat in real runs.
constexpr std::chrono::milliseconds standby_timeout{30};

/// What one partition did to the journal, what the journal refused, and how long both nodes
/// served the account.
struct partition_outcome {
  journal_verdict verdict;
  refusals refused;
  double dual_owner_ms = 0;
};

/// Sends one withdrawal and waits for its answer; true when it was served.
bool withdraw(caf::scoped_actor& self, const caf::actor& at, std::int64_t cents) {
  bool served = false;
  self->request(at, std::chrono::seconds(10), withdraw_atom::value, cents)
      .receive([&](bool ok) { served = ok; }, [](caf::error&) {});
  return served;
}

/// What the journal holds and refused, asked once the partition's withdrawals are answered.
void read_journal(caf::scoped_actor& self, const caf::actor& journal_of, partition_outcome& out) {
  self->request(journal_of, std::chrono::seconds(10), events_atom::value)
      .receive([&](std::vector<entry>& events) { out.verdict = judge_journal(events); },
               [](caf::error&) {});
  self->request(journal_of, std::chrono::seconds(10), refused_atom::value)
      .receive([&](refusals& r) { out.refused = r; }, [](caf::error&) {});
}

/// One seeded partition on real threads: the link from node 1 to node 2 is cut before node 1
/// starts, so node 2 hears no heartbeat; the seed picks which node each withdrawal goes to and
/// its size (10 to 40 cents).
partition_outcome run_partition(take_over_fn take_over, std::uint64_t seed, int withdrawals,
                                const partition_parts& parts, caf::actor_system& system) {
  caf::scoped_actor self{system};
  auto standby =
      spawn_node(system, 2, parts.journal, parts.leases, take_over, {}, false, standby_timeout);
  dca::cluster::fault_plan plan;
  plan.seed = seed;
  auto link = dca::cluster::spawn_fault_link(system, standby, plan);
  self->send(link, dca::cluster::link_cut_atom::value, true, true);
  auto owner =
      spawn_node(system, 1, parts.journal, parts.leases, take_over, link, true, standby_timeout);
  std::mt19937_64 dice{seed};
  std::optional<std::chrono::steady_clock::time_point> taken_over;
  for (int i = 0; i < withdrawals; ++i) {
    auto at = dice() % 2 == 0 ? owner : standby;
    auto cents = static_cast<std::int64_t>(10 + dice() % 31);
    if (withdraw(self, at, cents) && at == standby && !taken_over)
      taken_over = std::chrono::steady_clock::now();
  }
  partition_outcome out;
  bool owner_still_serves = false;
  self->request(owner, std::chrono::seconds(10), owns_atom::value)
      .receive([&](bool owns) { owner_still_serves = owns; }, [](caf::error&) {});
  if (taken_over && owner_still_serves)
    out.dual_owner_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *taken_over)
            .count();
  read_journal(self, parts.journal, out);
  for (const auto& a : {owner, standby, link, parts.journal, parts.leases})
    self->send_exit(a, caf::exit_reason::user_shutdown);
  return out;
}

/// Every partition's outcome, `at_once` partitions at a time, each in an actor system of its own.
std::vector<partition_outcome> outcomes_of(take_over_fn take_over, const arguments& in,
                                           const parts_fn& spawn_parts, int at_once) {
  auto partitions = static_cast<std::uint64_t>(in.get("partitions"));
  auto first = in.seed().value_or(1);
  std::vector<partition_outcome> out(partitions);
  auto one = [&](std::uint64_t i) {
    caf::actor_system_config cfg;
    caf::actor_system system{cfg};
    out[i] = run_partition(take_over, first + i, static_cast<int>(in.get("withdrawals")),
                           spawn_parts(system, i), system);
  };
  for (std::uint64_t wave = 0; wave < partitions; wave += static_cast<std::uint64_t>(at_once)) {
    std::vector<std::thread> running;
    auto end = std::min(partitions, wave + static_cast<std::uint64_t>(at_once));
    for (auto i = wave; i < end; ++i)
      running.emplace_back(one, i);
    for (auto& t : running)
      t.join();
  }
  return out;
}

partition_parts stand_ins(caf::actor_system& system, std::uint64_t) {
  return {spawn_journal(system), spawn_leases(system)};
}

run_result run_shared(const arguments& in, const progress_fn&) {
  return run_partitions(take_over_by_timeout, in, stand_ins, 1);
}

run_result run_actors(const arguments& in, const progress_fn&) {
  return run_partitions(take_over_with_lease, in, stand_ins, 1);
}

run_result run_actors_real(const arguments& in, const progress_fn&) {
  return run_real(take_over_with_lease, in);
}

// -- exploring ------------------------------------------------------------------------------------

/// Node 1 owns the account, node 2 stands by (heartbeat timeout 1 s, virtual); one client
/// withdraws 60 cents through each. The link into node 2 may lose two messages: its heartbeats.
dca::explore::report explore_with(take_over_fn take_over, const dca::explore::options& opts) {
  auto make = [=] {
    auto journal_of = std::make_shared<caf::actor>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      auto& sys = world.system();
      *journal_of = spawn_journal(sys);
      world.name(*journal_of, "journal");
      auto leases_of = spawn_leases(sys);
      world.name(leases_of, "leases");
      auto standby =
          spawn_node(sys, 2, *journal_of, leases_of, take_over, {}, false, std::chrono::seconds(1));
      world.name(standby, "node2");
      auto owner = spawn_node(sys, 1, *journal_of, leases_of, take_over, standby, true,
                              std::chrono::seconds(1));
      world.name(owner, "node1");
      world.lossy(standby, {2, 0}); // a partition: two heartbeats lost
      for (const auto& at : {owner, standby}) {
        auto client = sys.spawn([at](caf::event_based_actor* self) {
          self->request(at, caf::infinite, withdraw_atom::value, std::int64_t{60}).then([](bool) {
          });
        });
        world.name(client, at == owner ? "client1" : "client2");
      }
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      auto events = world.ask<std::vector<entry>>(*journal_of, events_atom::value);
      if (!events)
        return std::string{"the journal did not answer"};
      auto v = judge_journal(*events);
      if (broken(v))
        return account_key + ": " + verdict_words(v);
      return std::nullopt;
    };
    return ex;
  };
  // Faults are choices of the bounded and random searches, not of DPOR (actor_explorer.hpp).
  auto search = opts;
  if (search.search == dca::explore::strategy::dpor)
    search.search = dca::explore::strategy::systematic;
  auto r = dca::explore::explore_actors(make, search);
  if (r.result == dca::explore::outcome::invariant_broken)
    r.verdict += ": node 2 heard no heartbeat, declared node 1 dead and served account-42 from "
                 "its old copy while node 1 still served it";
  return r;
}

dca::explore::report explore_shared(const dca::explore::options& opts) {
  return explore_with(take_over_by_timeout, opts);
}

dca::explore::report explore_actors(const dca::explore::options& opts) {
  return explore_with(take_over_with_lease, opts);
}

} // namespace

#ifndef DCA_EX14_REAL
run_result run_real(take_over_fn, const arguments&) {
  throw dca::harness::cannot_run{"--real runs on etcd and PostgreSQL, and this build has no "
                                 "services: run scripts/bootstrap --services, then cmake -B "
                                 "build/dev -DDCA_WITH_SERVICES=ON"};
}
#endif

caf::actor spawn_journal(caf::actor_system& system) {
  return system.spawn(journal);
}

caf::actor spawn_leases(caf::actor_system& system) {
  return system.spawn(leases);
}

caf::actor spawn_node(caf::actor_system& system, int id, caf::actor journal_of,
                      caf::actor leases_of, take_over_fn take_over, caf::actor standby_of_it,
                      bool owner, std::chrono::milliseconds heartbeat_timeout) {
  return system.spawn(node, id, std::move(journal_of), std::move(leases_of), take_over,
                      std::move(standby_of_it), owner, heartbeat_timeout);
}

run_result run_partitions(take_over_fn take_over, const arguments& in, const parts_fn& spawn_parts,
                          int at_once) {
  DCA_ASSERT(at_once >= 1);
  journal_verdict sum;
  refusals refused;
  double dual_owner_ms = 0;
  std::int64_t overdrawn = 0;
  for (const auto& one : outcomes_of(take_over, in, spawn_parts, at_once)) {
    sum.dual_owner_appends += one.verdict.dual_owner_appends;
    sum.duplicate_seqs += one.verdict.duplicate_seqs;
    sum.stale_epoch_appends += one.verdict.stale_epoch_appends;
    sum.unfenced_appends += one.verdict.unfenced_appends;
    sum.lowest_balance = std::min(sum.lowest_balance, one.verdict.lowest_balance);
    overdrawn += one.verdict.lowest_balance < 0 ? 1 : 0;
    refused.stale_epoch += one.refused.stale_epoch;
    refused.other += one.refused.other;
    dual_owner_ms += one.dual_owner_ms;
  }
  auto partitions = in.get("partitions");
  run_result r;
  r.corrupted = broken(sum);
  auto of = " across " + with_commas(partitions) + " seeded partitions";
  r.summary = r.corrupted
                  ? verdict_words(sum) + "; account-42 overdrawn in " + with_commas(overdrawn) + of
                  : "0 stale-owner appends" + of + " (" + refusal_words(refused, sum) +
                        "): every append one owner's next seq";
  r.fields = {{"partitions", std::to_string(partitions)},
              {"dual_owner_appends", std::to_string(sum.dual_owner_appends)},
              {"duplicate_seqs", std::to_string(sum.duplicate_seqs)},
              {"stale_epoch_appends", std::to_string(sum.stale_epoch_appends)},
              {"unfenced_appends", std::to_string(sum.unfenced_appends)},
              {"overdrawn_partitions", std::to_string(overdrawn)},
              {"lowest_balance_cents", std::to_string(sum.lowest_balance)},
              {"refused_stale_epoch", std::to_string(refused.stale_epoch)},
              {"refused_other", std::to_string(refused.other)},
              {"dual_owner_ms", std::to_string(static_cast<std::int64_t>(dual_owner_ms))}};
  return r;
}

journal_verdict judge_journal(const std::vector<entry>& events) {
  journal_verdict v;
  std::map<std::uint64_t, int> by_seq;
  std::uint64_t highest = 0, epoch_highest = 0;
  auto balance = opening_cents;
  for (const auto& e : events) {
    if (e.seq != highest + 1)
      ++v.dual_owner_appends; // its writer had not seen the latest event of the account
    if (++by_seq[e.seq] == 2)
      ++v.duplicate_seqs;
    if (e.epoch == 0)
      ++v.unfenced_appends;
    if (e.epoch < epoch_highest)
      ++v.stale_epoch_appends; // its writer had been replaced by a later owner's epoch
    epoch_highest = std::max(epoch_highest, e.epoch);
    highest = std::max(highest, e.seq);
    balance += e.cents;
    v.lowest_balance = std::min(v.lowest_balance, balance);
  }
  return v;
}

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {
      {"partitions", 100, 1, 10'000, "how many seeded partitions to run, one after another"},
      {"withdrawals", 8, 1, 100, "how many withdrawals clients send in each partition"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.run_real = run_actors_real;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace split_brain
