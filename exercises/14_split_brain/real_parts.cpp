// Exercise 14's `run --real`: the same nodes and the same learner's take-over, with the stand-in
// lease table and journal replaced by actors that speak the same messages to the real parts: the
// checkout's 3-member etcd (a take is one compare-and-swap under an etcd lease; its revision is the
// epoch, installed in the journal's fence by dca::cluster::etcd_lease_table) and the PostgreSQL
// journal (dca::es::postgres_journal: every append fenced by its writer's epoch, in the
// transaction that would write it). Built only with -DDCA_WITH_SERVICES=ON.
#include "scenario.hpp"

#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "dca/cluster/etcd_lease_table.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/postgres_journal.hpp"
#include "dca/services/endpoints.hpp"
#include "dca/services/scratch.hpp"

namespace split_brain {

namespace {

using dca::harness::arguments;
using dca::harness::cannot_run;
using dca::harness::run_result;
using namespace std::chrono_literals;

/// Partitions run at once against the real servers: each waits out node 1's etcd lease (etcd
/// grants no less than 2 s), so 100 of them one after another would take minutes.
constexpr int partitions_at_once = 25;

/// How often a standby asks again while etcd refuses its take (node 1's lease still runs).
constexpr auto take_retry = 250ms;

/// The TTL a take asks for; etcd raises it to its own minimum.
constexpr auto lease_ttl = 1s;

/// The first thing that failed on a server during the run (not a refusal: those are figures).
class first_failure {
public:
  void note(const std::string& line) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (line_.empty())
      line_ = line;
  }
  std::string line() {
    std::lock_guard<std::mutex> guard{mtx_};
    return line_;
  }

private:
  std::mutex mtx_;
  std::string line_;
};

// -- the lease table: etcd
// --------------------------------------------------------------------------

using retry_take_atom = caf::atom_constant<caf::atom("retrytake")>;

struct etcd_leases_state {
  std::shared_ptr<dca::cluster::etcd_lease_table> table; // null: it could not be opened
  std::optional<dca::services::etcd_client> etcd;        // reads the key before a take
  std::string key;                                       // the shard's key in etcd
  std::map<int, caf::response_promise> taking;           // by node
};

/// Whether another node's key still lives (its lease runs). A read costs etcd no disk write; a
/// take that fails costs three (grant, swap, revoke), and twenty standbys asking four times a
/// second would keep etcd's disk busy.
bool held_by_another(caf::stateful_actor<etcd_leases_state>* self, const std::string& name) {
  auto holder = self->state.etcd->range(self->state.key);
  return holder && holder->kv && holder->kv->value != name;
}

/// Takes the shard for `node` in etcd, or asks again later while another node's lease runs.
void try_take(caf::stateful_actor<etcd_leases_state>* self, std::uint32_t shard, int node,
              const std::shared_ptr<first_failure>& failure) {
  auto& rp = self->state.taking[node];
  auto name = "node" + std::to_string(node);
  if (held_by_another(self, name)) {
    self->delayed_send(self, take_retry, retry_take_atom::value, node);
    return;
  }
  auto now = dca::cluster::lease_clock::clock_type::now();
  auto taken = self->state.table
                   ? self->state.table->acquire(shard, name, now, lease_ttl)
                   : caf::expected<dca::cluster::shard_lease>{caf::sec::invalid_argument};
  if (!taken && dca::es::is(taken.error(), dca::es::errc::lease_held)) {
    self->delayed_send(self, take_retry, retry_take_atom::value, node);
    return;
  }
  if (taken)
    rp.deliver(taken->epoch); // installed in the journal's fence before etcd_lease_table answered
  else {
    failure->note("etcd: " + dca::es::render(taken.error()));
    rp.deliver(taken.error());
  }
  self->state.taking.erase(node);
}

/// Blocking on etcd: spawned detached, so it waits on a thread of its own.
caf::behavior etcd_leases(caf::stateful_actor<etcd_leases_state>* self,
                          std::shared_ptr<dca::cluster::etcd_lease_table> table,
                          std::vector<std::string> members, std::string key, std::uint32_t shard,
                          std::shared_ptr<first_failure> failure) {
  self->state.table = std::move(table);
  self->state.etcd.emplace(std::move(members));
  self->state.key = std::move(key);
  return {
      [=](take_atom, int node) -> caf::result<std::uint64_t> {
        auto rp = self->make_response_promise<std::uint64_t>();
        self->state.taking[node] = rp;
        try_take(self, shard, node, failure);
        return rp;
      },
      [=](retry_take_atom, int node) { try_take(self, shard, node, failure); },
  };
}

// -- the journal: PostgreSQL
// ------------------------------------------------------------------------

struct postgres_journal_state {
  std::shared_ptr<dca::es::postgres_journal> journal;
  dca::es::entity_id account;
  refusals refused;
};

/// An entry as the event's payload and text: "node epoch cents".
dca::es::event_data event_of(int node, std::uint64_t epoch, std::int64_t cents) {
  auto words = std::to_string(node) + ' ' + std::to_string(epoch) + ' ' + std::to_string(cents);
  return {"withdrawn", std::vector<char>(words.begin(), words.end()),
          "node " + std::to_string(node) + " at epoch " + std::to_string(epoch) + ": " + words};
}

/// Every event of the account's stream, as entries.
std::vector<entry> entries_of(dca::es::postgres_journal& journal, const dca::es::entity_id& account,
                              const std::shared_ptr<first_failure>& failure) {
  constexpr std::size_t page_events_max = 1000;
  std::vector<entry> out;
  std::vector<dca::es::event_record> page;
  do {
    if (auto err = journal.read_stream(account, out.size() + 1, page_events_max, page)) {
      failure->note("PostgreSQL: " + dca::es::render(err));
      break;
    }
    for (const auto& e : page) {
      entry one;
      one.seq = e.seq;
      std::istringstream{std::string{e.payload.begin(), e.payload.end()}} >> one.node >>
          one.epoch >> one.cents;
      out.push_back(one);
    }
  } while (page.size() == page_events_max);
  return out;
}

/// Appends one withdrawal, fenced by `epoch` (unless 0), and waits for its commit (on its own
/// thread).
bool append_fenced(caf::stateful_actor<postgres_journal_state>* self, std::uint32_t shard, int node,
                   std::uint64_t epoch, std::uint64_t seq, std::int64_t cents,
                   const std::shared_ptr<first_failure>& failure) {
  dca::es::append_request req;
  req.entity = self->state.account;
  req.expected_seq = seq - 1;
  req.events.push_back(event_of(node, epoch, cents));
  if (epoch > 0) // epoch 0 claims no ownership, as with the stand-in: an unfenced append
    req.fence = dca::es::shard_fence{shard, epoch, "n" + std::to_string(node)};
  std::promise<caf::expected<dca::es::append_result>> done;
  auto committed = done.get_future();
  self->state.journal->append(std::move(req), [&done](caf::expected<dca::es::append_result> r) {
    done.set_value(std::move(r));
  });
  auto r = committed.get();
  if (r)
    return true;
  if (dca::es::is(r.error(), dca::es::errc::stale_epoch))
    ++self->state.refused.stale_epoch; // the fence: an owner that has been replaced
  else if (dca::es::is(r.error(), dca::es::errc::sequence_conflict))
    ++self->state.refused.other; // the stream moved on under a writer that had not seen it
  else
    failure->note("PostgreSQL: " + dca::es::render(r.error()));
  return false;
}

caf::behavior postgres_journal_of(caf::stateful_actor<postgres_journal_state>* self,
                                  std::shared_ptr<dca::es::postgres_journal> journal,
                                  std::uint32_t shard, std::shared_ptr<first_failure> failure) {
  self->state.journal = std::move(journal);
  self->state.account = {"account", account_key + ".partition" + std::to_string(shard)};
  return {
      [=](append_atom, int node, std::uint64_t epoch, std::uint64_t seq, std::int64_t cents) {
        return append_fenced(self, shard, node, epoch, seq, cents, failure);
      },
      // The take already raised the fence to `epoch` (etcd_lease_table installs the revision
      // before it answers): what is left is the read, after the fence went up.
      [=](adopt_atom, std::uint64_t) {
        return entries_of(*self->state.journal, self->state.account, failure);
      },
      [=](events_atom) { return entries_of(*self->state.journal, self->state.account, failure); },
      [=](refused_atom) { return self->state.refused; },
  };
}

// -- the servers ----------------------------------------------------------------------------------

/// This run's corner of the servers: a scratch database for the journal, a key prefix in etcd
/// (removed before and after the run), and what the header says about etcd.
struct real_servers {
  std::vector<std::string> etcd;
  std::size_t etcd_answering = 0;
  std::unique_ptr<dca::services::scratch> space;
  std::shared_ptr<dca::es::postgres_journal> journal;
  std::string prefix;

  ~real_servers() {
    if (!prefix.empty())
      dca::services::etcd_client{etcd}.remove_prefix(prefix);
  }
};

/// How many of `members` answer a linearizable read (one that needs the cluster's quorum).
std::size_t answering(const std::vector<std::string>& members) {
  std::size_t n = 0;
  for (const auto& m : members)
    n += dca::services::etcd_client{{m}, 1s}.range("dca-ex14/probe") ? 1 : 0;
  return n;
}

/// The servers, started when they are not running, as exercises 12 and 13 get theirs (a server
/// that cannot start throws dca::services::unavailable: one line naming it and what to run). A
/// cluster with any member running is taken as it is: a member stopped on purpose (to watch the
/// leases move on a quorum of two) stays stopped. Without a quorum: cannot_run, one line.
void open_servers(real_servers& s) {
  auto running = dca::services::etcd_endpoints_if_running();
  s.etcd = running ? *running : dca::services::etcd_endpoints();
  s.etcd_answering = answering(s.etcd);
  if (s.etcd_answering <= s.etcd.size() / 2)
    throw cannot_run{"etcd has no quorum (" + std::to_string(s.etcd_answering) + " of " +
                     std::to_string(s.etcd.size()) +
                     " members answer; scripts/services status shows which, scripts/services "
                     "start starts the stopped ones)"};
  s.space = std::make_unique<dca::services::scratch>("ex14"); // starts PostgreSQL and Redis
  auto journal = dca::es::postgres_journal::open(s.space->primary());
  if (!journal)
    throw std::runtime_error{"PostgreSQL journal: " + dca::es::render(journal.error())};
  s.journal = std::move(*journal);
  s.prefix = "dca-ex14/" + s.space->name() + "/shards/";
  dca::services::etcd_client{s.etcd}.remove_prefix(s.prefix); // an earlier run's, cut short
}

std::string header_of(const real_servers& s) {
  auto members = std::to_string(s.etcd.size()) + " members";
  if (s.etcd_answering < s.etcd.size())
    members += " (" + std::to_string(s.etcd_answering) + " answering)";
  return "etcd: " + members + ", quorum; journal: PostgreSQL database " + s.space->name() +
         ", appends fenced by the lease's revision\n";
}

} // namespace

run_result run_real(take_over_fn take_over, const arguments& in) {
  real_servers servers;
  open_servers(servers);
  auto failure = std::make_shared<first_failure>();
  auto spawn_parts = [&](caf::actor_system& system, std::uint64_t partition) {
    auto shard = static_cast<std::uint32_t>(partition);
    auto table = dca::cluster::etcd_lease_table::open(servers.etcd, servers.space->primary(),
                                                      servers.prefix);
    if (!table)
      failure->note("PostgreSQL: " + dca::es::render(table.error()));
    auto leases = system.spawn<caf::detached>(
        etcd_leases, table ? *table : std::shared_ptr<dca::cluster::etcd_lease_table>{},
        servers.etcd, servers.prefix + std::to_string(shard), shard, failure);
    auto journal =
        system.spawn<caf::detached>(postgres_journal_of, servers.journal, shard, failure);
    return partition_parts{journal, leases};
  };
  auto r = run_partitions(take_over, in, spawn_parts, partitions_at_once);
  if (auto line = failure->line(); !line.empty())
    throw std::runtime_error{line};
  r.table = header_of(servers) + r.table;
  r.fields.emplace_back("etcd_members", std::to_string(servers.etcd.size()));
  r.fields.emplace_back("etcd_answering", std::to_string(servers.etcd_answering));
  return r;
}

} // namespace split_brain
