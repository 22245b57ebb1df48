// `bank_node load`: commands through every node of a cluster, round robin, a bounded number in
// flight, each attempt bounded in time and every command carrying its own idempotency key, so a
// command whose node died or hung is retried on the next node without ever being applied twice.
// One line per command goes to --out (what it got, after how many attempts, its slowest attempt):
// the cluster test checks those lines against the journal.
//
//   bank_node load --to HOST:PORT,HOST:PORT,... --out FILE [--accounts 20] [--commands 400]
//                  [--in-flight 8] [--timeout-ms 3000] [--attempts 20] [--run NAME]
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include <caf/all.hpp>

#include "bank_cluster.hpp"
#include "dca/es/errors.hpp"

namespace dca::examples::bank_cluster {

namespace {

using retry_atom = caf::atom_constant<caf::atom("retry")>;
using clock_type = std::chrono::steady_clock;

/// Between two attempts of one command: the cluster is moving a shard, give it a moment.
constexpr std::chrono::milliseconds retry_delay{200};

struct load_plan {
  std::vector<caf::actor> nodes;
  std::size_t accounts = 20;
  std::size_t commands = 400;
  std::size_t in_flight = 8;
  std::chrono::milliseconds timeout{3000};
  std::uint32_t attempts_max = 20;
  std::string run = "load";
};

struct command_record {
  std::string key;
  std::string idem;
  std::uint32_t attempts = 0;
  bool acked = false;
  dca::es::ack reply;
  std::string last_error;
  std::int64_t slowest_attempt_ms = 0;
};

struct load_state {
  load_plan plan;
  /// Per node: until when it is avoided (it let an attempt time out: dead or hung).
  std::vector<clock_type::time_point> avoid_until;
  std::vector<command_record> records;
  std::size_t next = 0;
  std::size_t remaining = 0;
  std::shared_ptr<std::promise<std::vector<command_record>>> done;
  static inline const char* name = "bank_cluster.load";
};

using load_actor = caf::stateful_actor<load_state>;

bank::account::command command_for(const load_state& st, std::size_t i) {
  if (i < st.plan.accounts) // each account's first command opens it
    return bank::open_account{"owner of " + st.records[i].key};
  return bank::deposit{1};
}

void issue(load_actor* self, std::size_t i);

void finish(load_actor* self) {
  auto& st = self->state;
  if (--st.remaining == 0) {
    st.done->set_value(st.records);
    self->quit();
  } else if (st.next < st.plan.commands) {
    issue(self, st.next++);
  }
}

void note_attempt(command_record& r, clock_type::time_point started) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started);
  r.slowest_attempt_ms = std::max(r.slowest_attempt_ms, static_cast<std::int64_t>(ms.count()));
}

/// The node for attempt `attempt` of command `i`: round robin, skipping the nodes being avoided
/// (all avoided: the round robin's own choice).
std::size_t pick_node(const load_state& st, std::size_t i, std::uint32_t attempt) {
  auto n = st.plan.nodes.size();
  auto now = clock_type::now();
  for (std::size_t k = 0; k < n; ++k) {
    auto candidate = (i + attempt + k) % n;
    if (st.avoid_until[candidate] <= now)
      return candidate;
  }
  return (i + attempt) % n;
}

/// A domain's refusal (the bank's: already open, insufficient funds) is the command's answer;
/// anything else (a node down, a shard moving, a timeout) is worth another attempt.
bool worth_retrying(const caf::error& e) {
  return e.category() != bank::error_category;
}

void issue(load_actor* self, std::size_t i) {
  auto& st = self->state;
  auto& r = st.records[i];
  auto which = pick_node(st, i, r.attempts);
  auto& node = st.plan.nodes[which];
  ++r.attempts;
  auto started = clock_type::now();
  self->request(node, st.plan.timeout, dca::es::command_atom::value, r.key, command_for(st, i),
                r.idem)
      .then(
          [self, i, started](const dca::es::ack& a) {
            auto& rec = self->state.records[i];
            note_attempt(rec, started);
            rec.acked = true;
            rec.reply = a;
            finish(self);
          },
          [self, i, which, started](caf::error& e) {
            auto& now_st = self->state;
            auto& rec = now_st.records[i];
            note_attempt(rec, started);
            rec.last_error = dca::es::render(e);
            if (e == caf::sec::request_timeout)
              now_st.avoid_until[which] = clock_type::now() + 2 * now_st.plan.timeout;
            if (worth_retrying(e) && rec.attempts < now_st.plan.attempts_max)
              self->delayed_send(self, retry_delay, retry_atom::value, i);
            else
              finish(self);
          });
}

caf::behavior load_driver(load_actor* self, load_plan plan,
                          std::shared_ptr<std::promise<std::vector<command_record>>> done) {
  auto& st = self->state;
  st.plan = std::move(plan);
  st.done = std::move(done);
  st.remaining = st.plan.commands;
  st.avoid_until.assign(st.plan.nodes.size(), clock_type::time_point{});
  st.records.resize(st.plan.commands);
  for (std::size_t i = 0; i < st.plan.commands; ++i) {
    st.records[i].key = "acct-" + std::to_string(i % st.plan.accounts);
    st.records[i].idem = st.plan.run + "-" + std::to_string(i);
  }
  while (st.next < std::min(st.plan.in_flight, st.plan.commands))
    issue(self, st.next++);
  return {[self](retry_atom, std::size_t i) { issue(self, i); }};
}

load_plan plan_from(caf::actor_system& sys, const words& w) {
  load_plan plan;
  std::istringstream to{w.option("to")};
  std::string address;
  while (std::getline(to, address, ',')) {
    auto node = connect(sys, address);
    if (!node)
      throw std::runtime_error{"cannot reach node " + address + ": " + sys.render(node.error())};
    plan.nodes.push_back(*node);
  }
  if (plan.nodes.empty())
    throw std::invalid_argument{"load needs --to HOST:PORT[,HOST:PORT...]"};
  plan.accounts = std::stoul(w.option("accounts", "20"));
  plan.commands = std::max(plan.accounts, std::stoul(w.option("commands", "400")));
  plan.in_flight = std::stoul(w.option("in-flight", "8"));
  plan.timeout = std::chrono::milliseconds{std::stoul(w.option("timeout-ms", "3000"))};
  plan.attempts_max = static_cast<std::uint32_t>(std::stoul(w.option("attempts", "20")));
  plan.run = w.option("run", "load");
  return plan;
}

} // namespace

int run_load(const words& w) {
  auto out_path = w.option("out");
  if (out_path.empty())
    throw std::invalid_argument{"load needs --out FILE"};
  cluster_config cfg;
  caf::actor_system sys{cfg};
  auto done = std::make_shared<std::promise<std::vector<command_record>>>();
  auto result = done->get_future();
  sys.spawn(load_driver, plan_from(sys, w), done);
  auto records = result.get();
  std::ofstream out{out_path};
  std::size_t acked = 0;
  std::int64_t slowest = 0;
  for (auto& r : records) {
    acked += r.acked ? 1 : 0;
    slowest = std::max(slowest, r.slowest_attempt_ms);
    out << r.key << '\t' << r.idem << '\t' << r.attempts << '\t' << (r.acked ? "ack" : "error")
        << '\t' << r.reply.seq << '\t' << r.reply.duplicate << '\t' << r.slowest_attempt_ms << '\t'
        << r.last_error << '\n';
  }
  std::cout << "load: " << records.size() << " commands, " << acked << " acknowledged, "
            << records.size() - acked << " failed after every attempt; slowest attempt " << slowest
            << " ms\n";
  return out ? 0 : 1;
}

} // namespace dca::examples::bank_cluster
