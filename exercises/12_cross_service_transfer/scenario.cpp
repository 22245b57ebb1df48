// Exercise 12's harness: how `dca run 12` and `dca explore 12` drive both tracks against two real
// PostgreSQL databases (scripts/services), the crashes they inject, and how they judge: the money
// of both banks together, and what two-phase commit's in-doubt locks cost next to the saga.
// Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>

#include "dca/assert.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/explore/explorer.hpp"

namespace cross_service_transfer {

using dca::services::pg_connection;

// -- the servers ----------------------------------------------------------------------------------

namespace {

/// The accounts "<prefix>1".."<prefix>4", each with opening_cents.
std::string accounts_sql(char prefix) {
  std::string sql = "CREATE TABLE accounts (id text PRIMARY KEY, balance bigint NOT NULL); "
                    "INSERT INTO accounts VALUES ";
  for (int k = 1; k <= accounts_per_bank; ++k)
    sql += std::string{k == 1 ? "" : ", "} + "('" + prefix + std::to_string(k) + "', " +
           std::to_string(opening_cents) + ")";
  return sql;
}

} // namespace

banks_ptr make_banks() {
  auto b = std::make_shared<banks>();
  b->x.reset(accounts_sql('x') + "; CREATE TABLE holds (tid text PRIMARY KEY, account text NOT "
                                 "NULL, cents bigint NOT NULL, state text NOT NULL)");
  b->y.reset(accounts_sql('y') + "; CREATE TABLE credits (tid text PRIMARY KEY, account text NOT "
                                 "NULL, cents bigint NOT NULL)");
  return b;
}

std::int64_t money_total(pg_connection& x, pg_connection& y) {
  auto sum = [](pg_connection& db) {
    return db.exec("SELECT coalesce(sum(balance), 0) FROM accounts").int_at(0, 0);
  };
  std::set<std::string> credited; // a tombstone (0 cents, uncredit) is no credit
  auto credits = y.exec("SELECT tid FROM credits WHERE cents > 0");
  for (std::size_t r = 0; r < credits.rows(); ++r)
    credited.insert(*credits.at(r, 0));
  std::int64_t in_flight = 0; // held at X, not credited at Y yet
  auto held = x.exec("SELECT tid, cents FROM holds WHERE state = 'held'");
  for (std::size_t r = 0; r < held.rows(); ++r)
    if (credited.count(*held.at(r, 0)) == 0)
      in_flight += held.int_at(r, 1);
  return sum(x) + sum(y) + in_flight;
}

// -- the saga entity ------------------------------------------------------------------------------

namespace {

/// The phases' names, as literals: the explorer's trace shows them (dca::shared holds plain
/// values).
constexpr const char* phase_names[] = {"none",         "begun",     "held",
                                       "hold_refused", "credited",  "credit_refused",
                                       "expired",      "confirmed", "released"};

const char* phase_name(saga_phase x) {
  auto k = static_cast<std::size_t>(x);
  return k < std::size(phase_names) ? phase_names[k] : "?";
}

} // namespace

std::string to_string(saga_phase x) {
  return phase_name(x);
}

saga_phase phase_of(const saga_state& s) {
  using dca::es::saga_status;
  static constexpr saga_phase running[] = {saga_phase::begun, saga_phase::held,
                                           saga_phase::credited};
  switch (s.status) {
  case saga_status::none:
    return saga_phase::none;
  case saga_status::running:
    return running[s.steps_done];
  case saga_status::completed:
    return saga_phase::confirmed;
  case saga_status::compensating:
    return s.steps_done == 2 ? saga_phase::expired // the credit in doubt is undone too
                             : saga_phase::credit_refused;
  case saga_status::compensated:
    break;
  }
  return s.failed_step == 0 ? saga_phase::hold_refused : saga_phase::released;
}

// -- the saga's driver ----------------------------------------------------------------------------

// The undo of a credit in doubt lives here, not in message_passing.cpp: it is the harness's part
// of the expiry (NOTES.md), and it must fence out the learner's credit arriving late.
void uncredit(pg_connection& y, const transfer_order& t) {
  y.exec("BEGIN");
  // No credit yet: the tombstone makes a credit arriving later find its tid and take no effect.
  if (y.exec("INSERT INTO credits (tid, account, cents) VALUES ($1, $2, 0) "
             "ON CONFLICT (tid) DO NOTHING",
             t.tid, t.to)
          .affected() == 0) {
    auto back = y.exec("UPDATE credits SET cents = 0 WHERE tid = $1 AND cents > 0 "
                       "RETURNING account, cents",
                       t.tid);
    if (back.rows() == 1) // credited before: take it back, once
      y.exec("UPDATE accounts SET balance = balance - $2 WHERE id = $1", *back.at(0, 0),
             back.int_at(0, 1));
  }
  y.exec("COMMIT");
}

transfer_saga::command take_step(pg_connection& x, pg_connection& y, const step_crash& crash,
                                 const std::string& tid, const saga_state& state,
                                 std::int64_t now_ms) {
  transfer_order order{tid, state.payload.from, state.payload.to, state.payload.cents};
  if (crash.before_effect)
    throw process_killed{};
  using dca::es::record_step;
  using dca::es::step_answer;
  auto answer = [](bool took) { return took ? step_answer::done : step_answer::refused; };
  transfer_saga::command out = dca::es::record_undo{0};
  if (state.status == dca::es::saga_status::compensating && state.steps_done == 2) {
    uncredit(y, order); // the credit in doubt after the hold expired
    out = dca::es::record_undo{1};
  } else if (state.status == dca::es::saga_status::compensating) {
    DCA_ASSERT_MSG(state.steps_done == 1, "a hold is undone last");
    release(x, tid); // the undo of the hold
  } else if (state.steps_done == 0) {
    auto held = hold(x, order);
    out = record_step{0, answer(held), held ? "" : "the balance does not cover it",
                      held && now_ms > 0 ? now_ms + hold_expiry_ms : 0};
  } else if (state.steps_done == 1) {
    out = record_step{1, answer(credit(y, order)), "Y has no account " + order.to};
  } else {
    confirm(x, tid);
    out = record_step{2, step_answer::done, ""};
  }
  if (crash.after_effect) // the effect is committed; the saga does not know it yet
    throw process_killed{};
  return out;
}

// -- the saga runner ------------------------------------------------------------------------------

namespace {

constexpr auto reply_timeout = std::chrono::seconds(10);

} // namespace

struct saga_runner::impl {
  banks_ptr b;
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  caf::actor sagas;

  explicit impl(banks_ptr banks) : b(std::move(banks)) {
    dca::es::entity_options opts;
    opts.idle_timeout = std::chrono::milliseconds{0}; // no passivation timers in a short run
    opts.hibernate_after = std::chrono::milliseconds{0};
    sagas = dca::es::spawn_entity_host<transfer_saga>(
        system, std::make_shared<dca::es::memory_journal>(), opts);
  }
  ~impl() { caf::anon_send_exit(sagas, caf::exit_reason::user_shutdown); }

  [[noreturn]] void fail(const caf::error& e) {
    throw std::runtime_error("the transfer saga did not answer: " + system.render(e));
  }
  void tell(const std::string& tid, transfer_saga::command cmd) {
    self->request(sagas, reply_timeout, dca::es::command_atom::value, tid, std::move(cmd),
                  std::string{})
        .receive([](const dca::es::ack&) {}, [&](caf::error& e) { fail(e); });
  }
  saga_state get(const std::string& tid) {
    saga_state out;
    self->request(sagas, reply_timeout, dca::es::get_atom::value, tid)
        .receive([&](saga_state& s) { out = std::move(s); }, [&](caf::error& e) { fail(e); });
    return out;
  }

  /// The driver's connections: kept while it lives (connecting costs more than a step), new
  /// ones for the next driver after a kill.
  std::optional<pg_connection> x;
  std::optional<pg_connection> y;

  /// One driver's life: takes steps until the saga is finished; throws process_killed.
  saga_state drive(const std::string& tid, int attempt, const crash_plan& crash) {
    if (!x) {
      x.emplace(b->x.connect("saga driver"));
      y.emplace(b->y.connect("saga driver"));
    }
    for (int step = 0;; ++step) {
      auto s = get(tid);
      if (dca::es::finished(s.status))
        return s;
      tell(tid, take_step(*x, *y, crash(attempt, step), tid, s));
    }
  }
};

saga_runner::saga_runner(banks_ptr b) : impl_(std::make_unique<impl>(std::move(b))) {}

saga_runner::~saga_runner() = default;

saga_runner::outcome saga_runner::run(const transfer_order& t, const crash_plan& crash,
                                      int drivers_max) {
  outcome out;
  impl_->tell(t.tid, dca::es::begin_saga<transfer_params>{{t.from, t.to, t.cents}});
  for (int attempt = 0; attempt < drivers_max; ++attempt) {
    try {
      out.state = impl_->drive(t.tid, attempt, crash);
      return out;
    } catch (const process_killed&) {
      out.crashes += 1; // a new driver starts from what the saga's journal says
      impl_->x.reset();
      impl_->y.reset();
    }
  }
  out.state = impl_->get(t.tid);
  return out;
}

// -- the runs -------------------------------------------------------------------------------------

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;
using clock_type = std::chrono::steady_clock;

/// The k-th transfer of a run: 100 cents from x<n> to y<n>, n cycling over the accounts.
transfer_order order_of(const std::string& tag, std::int64_t k) {
  auto n = std::to_string(k % accounts_per_bank + 1);
  return {tag + std::to_string(k + 1), "x" + n, "y" + n, 100};
}

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

std::string ms_words(double ms) {
  return with_commas(static_cast<std::int64_t>(ms + 0.5)) + " ms";
}

/// "money vanished: 900 cents (Σ 799,100 of 800,000)" or "money appeared: ...".
std::string money_words(std::int64_t total, std::int64_t expected) {
  auto diff = total - expected;
  return std::string{diff < 0 ? "money vanished: " : "money appeared: "} +
         with_commas(diff < 0 ? -diff : diff) +
         " cents (Σ balances + in flight = " + with_commas(total) + " of " + with_commas(expected) +
         ")";
}

// -- the naive transfer on real connections -------------------------------------------------------

/// `transfers` naive transfers, the process killed between debit and credit where the seed says;
/// a killed process restarts with new connections. Returns how many were killed.
std::int64_t run_naive(const banks& b, const arguments& in) {
  auto x = std::make_unique<pg_connection>(b.x.connect("service"));
  auto y = std::make_unique<pg_connection>(b.y.connect("service"));
  std::int64_t crashes = 0;
  for (std::int64_t k = 0; k < in.get("transfers"); ++k) {
    process_life life;
    if (dca::harness::crash_rolled(in.seed().value_or(1), 0, static_cast<std::uint64_t>(k), 0,
                                   in.get("crash-percent")))
      life.kill();
    try {
      transfer_naive(*x, *y, life, order_of("n", k));
    } catch (const process_killed&) {
      crashes += 1;
      x = std::make_unique<pg_connection>(b.x.connect("service")); // restarted
      y = std::make_unique<pg_connection>(b.y.connect("service"));
    }
  }
  return crashes;
}

// -- two-phase commit's blocking, measured --------------------------------------------------------

/// How long a participant waits for a row lock before it gives up (55P03): what makes a blocked
/// transfer a figure instead of a hang.
constexpr const char* lock_wait = "SET lock_timeout = '100ms'";

/// One two-phase transfer by a live coordinator. False when a participant's row was locked past
/// lock_wait: then the coordinator rolls back what it prepared.
bool try_two_phase(const banks& b, pg_connection& x, pg_connection& y, const transfer_order& t) {
  process_life alive;
  try {
    transfer_two_phase(b, x, y, alive, t);
    return true;
  } catch (const dca::services::sql_error& e) {
    if (e.sqlstate != "55P03") // lock_not_available
      throw;
    x.exec("ROLLBACK"); // the one that waited; the other is idle or prepared
    y.exec("ROLLBACK");
    recover_two_phase(b, x, y, t);
    return false;
  }
}

struct blocking_figures {
  double lock_hold_ms = 0;     // from the votes to the recovery's ROLLBACK PREPARED
  std::int64_t same_tried = 0; // transfers on the in-doubt rows while they were locked
  std::int64_t same_done = 0;  // of them, completed
  std::int64_t other_done = 0; // transfers on other rows, completed meanwhile
  double first_after_ms = 0;   // the first transfer on the rows after the recovery
};

/// Transfers on x2 -> y2 by their own client until `stop`: what the in-doubt rows leave alone.
std::int64_t run_unrelated(const banks& b, const std::atomic<bool>& stop) {
  auto x = b.x.connect("other client");
  auto y = b.y.connect("other client");
  std::int64_t done = 0;
  for (std::int64_t k = 0; !stop.load(); ++k)
    done += try_two_phase(b, x, y, order_of("2pc-other-", k * accounts_per_bank + 1)) ? 1 : 0;
  return done;
}

/// The coordinator of x1 -> y1 dies after the votes and is back after --recovery-ms; meanwhile
/// one client keeps trying transfers on x1 -> y1, another on x2 -> y2.
blocking_figures measure_two_phase(const banks& b, const arguments& in) {
  auto cx = b.x.connect("coordinator");
  auto cy = b.y.connect("coordinator");
  auto x = b.x.connect("client");
  auto y = b.y.connect("client");
  x.exec(lock_wait);
  y.exec(lock_wait);
  transfer_order stuck{"2pc-stuck", "x1", "y1", 100};
  process_life dies;
  dies.kill();
  auto voted = clock_type::now();
  try {
    transfer_two_phase(b, cx, cy, dies, stuck);
  } catch (const process_killed&) {
  }
  blocking_figures f;
  std::atomic<bool> recovered{false};
  auto other = std::async(std::launch::async, [&] { return run_unrelated(b, recovered); });
  struct stop_at_exit { // a failure below must not wait for that client forever
    std::atomic<bool>& stop;
    ~stop_at_exit() { stop.store(true); }
  } stop_other{recovered};
  for (std::int64_t k = 0; ms_since(voted) < static_cast<double>(in.get("recovery-ms")); ++k) {
    f.same_tried += 1;
    f.same_done += try_two_phase(b, x, y, order_of("2pc-same-", k * accounts_per_bank)) ? 1 : 0;
  }
  // The coordinator is back. It logged no decision, so it presumes abort.
  DCA_ASSERT(recover_two_phase(b, cx, cy, stuck) == 2);
  f.lock_hold_ms = ms_since(voted);
  recovered.store(true);
  f.other_done = other.get();
  auto after = clock_type::now();
  DCA_ASSERT(try_two_phase(b, x, y, order_of("2pc-after-", 0)));
  f.first_after_ms = ms_since(after);
  return f;
}

// -- the saga on the same rows, timed -------------------------------------------------------------

struct saga_figures {
  std::vector<double> latencies_ms; // end to end, of the sagas that ran past the dead one
  std::int64_t completed = 0;
};

/// The first saga on x1 -> y1 loses its driver after its hold; `count` more sagas on x1 -> y1 run
/// meanwhile, then the first is resumed.
saga_figures measure_saga(const banks_ptr& b, std::int64_t count) {
  saga_runner runner{b};
  auto after_hold = [](int attempt, int step) {
    return step_crash{false, attempt == 0 && step == 0};
  };
  auto no_crash = [](int, int) { return step_crash{}; };
  auto stuck = order_of("saga-stuck", 0);
  runner.run(stuck, after_hold, 1); // its driver died holding the money: nobody resumes it yet
  saga_figures f;
  for (std::int64_t k = 0; k < count; ++k) {
    auto start = clock_type::now();
    auto done = runner.run(order_of("saga-", k * accounts_per_bank), no_crash);
    f.latencies_ms.push_back(ms_since(start));
    f.completed += phase_of(done.state) == saga_phase::confirmed ? 1 : 0;
  }
  DCA_ASSERT(phase_of(runner.run(stuck, no_crash).state) == saga_phase::confirmed);
  std::sort(f.latencies_ms.begin(), f.latencies_ms.end());
  return f;
}

/// The side-by-side lines: 2PC's in-doubt rows next to the saga on the same rows.
std::string comparison_words(const blocking_figures& tpc, const saga_figures& saga,
                             const arguments& in) {
  auto window_s = tpc.lock_hold_ms / 1000.0;
  auto per_s = [&](std::int64_t n) {
    return with_commas(static_cast<std::int64_t>(static_cast<double>(n) / window_s + 0.5)) + "/s";
  };
  auto median = saga.latencies_ms.empty() ? 0.0 : saga.latencies_ms[saga.latencies_ms.size() / 2];
  auto max = saga.latencies_ms.empty() ? 0.0 : saga.latencies_ms.back();
  return "2PC, coordinator dead after the votes for " + ms_words(double(in.get("recovery-ms"))) +
         ": max lock hold " + ms_words(tpc.lock_hold_ms) + " on x1, y1; transfers on them " +
         with_commas(tpc.same_done) + " of " + with_commas(tpc.same_tried) + " (" +
         per_s(tpc.same_done) + "), on x2, y2 " + with_commas(tpc.other_done) + " (" +
         per_s(tpc.other_done) +
         "); saga, driver dead after its hold: " + with_commas(saga.completed) + " of " +
         with_commas(std::int64_t(saga.latencies_ms.size())) +
         " transfers on x1 -> y1 done, end to end median " + ms_words(median) + ", max " +
         ms_words(max) +
         " (2PC's first transfer on x1, y1 after the recovery: " + ms_words(tpc.first_after_ms) +
         ")";
}

} // namespace

namespace {

/// The judge's own connections to both banks.
struct auditor {
  pg_connection x;
  pg_connection y;
  explicit auditor(const banks& b) : x(b.x.connect("audit")), y(b.y.connect("audit")) {}
  std::int64_t money() { return money_total(x, y); }
};

/// The naive transfers lose money; then, on the same banks, 2PC's blocking next to the saga's
/// latency on the same rows: the figures the lesson is about, from one run.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  auto b = make_banks();
  auto crashes = run_naive(*b, in);
  progress(0.4);
  auto money = auditor{*b}.money();
  auto tpc = measure_two_phase(*b, in);
  progress(0.8);
  auto saga = measure_saga(b, in.get("compare-transfers"));
  progress(1.0);
  run_result out;
  out.corrupted = money != banks::money_expected();
  out.summary =
      with_commas(in.get("transfers")) + " transfers, " + with_commas(crashes) +
      " killed between debit and credit: " +
      (out.corrupted ? money_words(money, banks::money_expected()) : std::string{"no money lost"}) +
      ". " + comparison_words(tpc, saga, in);
  out.fields = {{"transfers", std::to_string(in.get("transfers"))},
                {"crashes", std::to_string(crashes)},
                {"money_lost_cents", std::to_string(banks::money_expected() - money)},
                {"two_phase_max_lock_hold_ms", std::to_string(tpc.lock_hold_ms)},
                {"two_phase_blocked_rows_done", std::to_string(tpc.same_done)},
                {"two_phase_blocked_rows_tried", std::to_string(tpc.same_tried)},
                {"two_phase_other_rows_done", std::to_string(tpc.other_done)},
                {"saga_done", std::to_string(saga.completed)},
                {"saga_latency_max_ms",
                 std::to_string(saga.latencies_ms.empty() ? 0.0 : saga.latencies_ms.back())}};
  return out;
}

/// Every transfer as a saga, its driver killed before or after any step where the seed says;
/// every tenth goes to an account Y does not have, so its hold is released. Money is counted at
/// quiescence.
run_result run_actors(const arguments& in, const progress_fn& progress) {
  auto b = make_banks();
  saga_runner runner{b};
  std::int64_t crashes = 0;
  std::int64_t released = 0;
  auto transfers = in.get("transfers");
  for (std::int64_t k = 0; k < transfers; ++k) {
    auto t = order_of("t", k);
    if (k % 10 == 9)
      t.to = "y9"; // no such account at Y: the credit is refused, the saga compensates
    auto crash = [&, k](int attempt, int step) {
      auto roll = [&](std::uint64_t where) {
        return attempt < 3 && dca::harness::crash_rolled(
                                  in.seed().value_or(1), static_cast<std::uint64_t>(k),
                                  static_cast<std::uint64_t>(step * 2) + where,
                                  static_cast<std::uint64_t>(attempt), in.get("crash-percent"));
      };
      return step_crash{roll(0), roll(1)};
    };
    auto done = runner.run(t, crash);
    crashes += done.crashes;
    released += phase_of(done.state) == saga_phase::released ? 1 : 0;
    progress(static_cast<double>(k + 1) / static_cast<double>(transfers));
  }
  auto money = auditor{*b}.money();
  run_result out;
  out.corrupted = money != banks::money_expected();
  out.summary = with_commas(transfers) + " transfer sagas, " + with_commas(crashes) +
                " drivers killed, " + with_commas(released) + " released: " +
                (out.corrupted ? money_words(money, banks::money_expected())
                               : "every cent accounted for (Σ " + with_commas(money) + ")");
  out.fields = {{"transfers", std::to_string(transfers)},
                {"crashes", std::to_string(crashes)},
                {"released", std::to_string(released)},
                {"money_cents", std::to_string(money)},
                {"money_expected_cents", std::to_string(banks::money_expected())}};
  return out;
}

// -- exploration ----------------------------------------------------------------------------------

/// One service making one naive transfer, and kill -9 aimed at its process: every order of its
/// statements and the kill, against the real databases.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  auto b = make_banks();
  auto schedules = std::make_shared<int>(0);
  // Connections outlive the schedules: connecting costs more than a schedule's statements.
  auto service = std::make_shared<std::pair<pg_connection, pg_connection>>(b->x.connect("service"),
                                                                           b->y.connect("service"));
  auto audit = std::make_shared<auditor>(*b);
  auto make = [b, schedules, service, audit] {
    auto order = order_of("s" + std::to_string((*schedules)++) + "-t", 0);
    auto before = audit->money();
    auto life = std::make_shared<process_life>();
    dca::explore::thread_execution exec;
    // [slide:kill]
    exec.threads.push_back({"service", [=] {
                              try {
                                transfer_naive(service->first, service->second, *life, order);
                              } catch (const process_killed&) {
                                // the process is gone: what it committed stays committed
                              }
                            }});
    exec.threads.push_back({"kill -9", [life] { life->kill(); }});
    // [/slide:kill]
    exec.check = [audit,
                  before](const std::vector<dca::explore::step>&) -> std::optional<std::string> {
      auto after = audit->money();
      if (after == before)
        return std::nullopt;
      return "the service was killed between the debit and the credit: " +
             money_words(after, before);
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// The transfer saga's entity as the explorer runs it: the saga's own decide and apply over its
/// state in memory (what the entity host does with its journal), each read and record a
/// scheduling point that shows the phase, so the trace has the saga's answers between the
/// statements.
class explored_saga {
public:
  explicit explored_saga(const transfer_order& t) : tid_(t.tid), params_{t.from, t.to, t.cents} {}

  const std::string& tid() const { return tid_; }

  saga_state read() const {
    phase_.load();
    return state_;
  }

  /// Records `cmd` as the entity does: a command the saga refuses (a second answer) changes
  /// nothing; the saga's first answer stands.
  void record(const transfer_saga::command& cmd) {
    auto events = transfer_saga::decide(state_, cmd);
    if (!events || events->empty()) {
      phase_.load(); // read and answered, nothing recorded
      return;
    }
    for (const auto& ev : *events)
      state_ = transfer_saga::apply(std::move(state_), ev);
    phase_.store(phase_name(phase_of(state_)));
  }

  /// The client asks for the transfer (again, on a retry: the saga ignores a second begin).
  void begin() { record(dca::es::begin_saga<transfer_params>{params_}); }

private:
  std::string tid_;
  transfer_params params_;
  saga_state state_;
  dca::shared<const char*> phase_{"saga", "none"};
};

/// One driver process under the explorer: begins each saga (a retry of the same transfer id when
/// it was begun before) and takes its steps until it is finished. kill -9 may land anywhere; the
/// process notices at its crash points, before a step's effect and after it, before the record.
void drive_explored(std::deque<explored_saga>& sagas, pg_connection& x, pg_connection& y,
                    const process_life& life) {
  for (auto& saga : sagas) {
    saga.begin();
    for (auto s = saga.read(); !dca::es::finished(s.status); s = saga.read()) {
      life.crash_point();
      auto answer = take_step(x, y, step_crash{}, saga.tid(), s);
      life.crash_point(); // the effect is committed; the saga does not know it yet
      saga.record(answer);
    }
  }
}

/// The two drivers' connections, kept across schedules (connecting costs more than a schedule).
struct explored_drivers {
  banks_ptr b = make_banks();
  pg_connection first_x = b->x.connect("driver 1");
  pg_connection first_y = b->y.connect("driver 1");
  pg_connection second_x = b->x.connect("driver 2");
  pg_connection second_y = b->y.connect("driver 2");
  auditor audit{*b};
  int schedules = 0;
};

/// What a schedule must end with: both sagas finished as their transfers allow (one confirmed,
/// one released: Y has no y9), no money on hold, and every cent where it was.
std::optional<std::string> sagas_verdict(const std::deque<explored_saga>& sagas,
                                         std::int64_t before, std::int64_t after) {
  const saga_phase expected[] = {saga_phase::confirmed, saga_phase::released};
  for (std::size_t k = 0; k < sagas.size(); ++k) {
    auto phase = phase_of(sagas[k].read());
    if (phase != expected[k])
      return "saga " + sagas[k].tid() + " ended " + to_string(phase) + ", not " +
             to_string(expected[k]);
  }
  if (after == before)
    return std::nullopt;
  return "a driver was killed and a new one resumed the sagas with the same transfer ids: " +
         money_words(after, before);
}

/// Two transfer sagas (x1 -> y1, and x2 -> y9, which Y refuses, so its hold is released) driven
/// by one process that kill -9 may stop at any of its steps; the restarted process (and the
/// client's retry, with the same transfer ids) resumes them from the sagas' state.
dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto drivers = std::make_shared<explored_drivers>();
  auto make = [drivers] {
    auto tag = "a" + std::to_string(drivers->schedules++) + "-";
    auto sagas = std::make_shared<std::deque<explored_saga>>();
    sagas->emplace_back(transfer_order{tag + "t1", "x1", "y1", 100});
    sagas->emplace_back(transfer_order{tag + "t2", "x2", "y9", 100});
    auto before = drivers->audit.money();
    auto life = std::make_shared<process_life>();
    dca::explore::thread_execution exec;
    exec.threads.push_back({"saga driver", [=] {
                              try {
                                drive_explored(*sagas, drivers->first_x, drivers->first_y, *life);
                              } catch (const process_killed&) {
                                // restarted: a new process, its own connections, the same sagas
                                drive_explored(*sagas, drivers->second_x, drivers->second_y,
                                               process_life{});
                              }
                            }});
    exec.threads.push_back({"kill -9", [life] { life->kill(); }});
    exec.check = [drivers, sagas,
                  before](const std::vector<dca::explore::step>&) -> std::optional<std::string> {
      return sagas_verdict(*sagas, before, drivers->audit.money());
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

} // namespace

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {
      {"transfers", 200, 1, 100'000, "how many transfers of 100 cents from X to Y"},
      {"crash-percent", 5, 0, 99,
       "how often a process is killed (%): between debit and credit, or a saga's driver at a step"},
      {"recovery-ms", 1'000, 1, 600'000,
       "how long 2PC's coordinator stays dead after the votes (its restart)"},
      {"compare-transfers", 20, 1, 10'000,
       "how many sagas run on the rows of a saga whose driver died (the comparison with 2PC)"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace cross_service_transfer
