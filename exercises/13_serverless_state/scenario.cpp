// Exercise 13's harness: the platform that invokes the handlers (up to 16 at once, retrying an
// invocation that timed out, sometimes killing a worker mid-invocation, all from a seeded plan),
// how `dca run 13` puts the naive handler, compare-and-set and the entity side by side in one run,
// and how `dca explore 13` drives both tracks: the handlers statement by statement against the real
// PostgreSQL, the entity on every delivery order. Learners may read it; they need not change it.
#include "scenario.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "dca/es/actor_owner.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/explored_workers.hpp"
#include "dca/harness/first_reads.hpp"
#include "dca/services/scratch.hpp"

namespace serverless_state {

using dca::harness::with_commas;
using dca::services::pg_connection;
using dca::services::scratch;

// -- the contract's small parts -------------------------------------------------------------------

std::optional<std::string> request_id_problem(const std::string& request_id) {
  auto allowed = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  };
  if (!request_id.empty() && request_id.size() <= 64 &&
      std::all_of(request_id.begin(), request_id.end(), allowed))
    return std::nullopt;
  return "request id '" + request_id.substr(0, 80) +
         "' is malformed: send 1 to 64 letters, digits, '-' or '_' (e.g. r17), the same on every "
         "retry";
}

std::string unknown_event_words(const std::string& event) {
  return "no event '" + event + "': reserve seats of an event that is on sale (e.g. " + event_id +
         ")";
}

std::string entity_key(const std::string& event) {
  return "event-" + event;
}

caf::error make_error(errc code, std::string detail) {
  const char* name = code == errc::sold_out        ? "sold_out"
                     : code == errc::unknown_event ? "unknown_event"
                                                   : "bad_request";
  return dca::es::make_domain_error(error_category, static_cast<std::uint8_t>(code), name,
                                    std::move(detail));
}

bool is(const caf::error& err, errc code) noexcept {
  return dca::es::is_domain_error(err, error_category, static_cast<std::uint8_t>(code));
}

invocation request_of(std::int64_t k) {
  return {event_id, "r" + std::to_string(k + 1), "u" + std::to_string(k + 1)};
}

std::vector<fault> faults_of(std::uint64_t seed, std::int64_t requests, std::int64_t retry_percent,
                             std::int64_t kill_percent) {
  std::mt19937_64 rolls{seed};
  std::vector<fault> plan;
  for (std::int64_t k = 0; k < requests; ++k) {
    auto roll = static_cast<std::int64_t>(rolls() % 100);
    plan.push_back(roll < kill_percent                   ? fault::killed_mid_invocation
                   : roll < kill_percent + retry_percent ? fault::retried_after_finish
                                                         : fault::none);
  }
  return plan;
}

// -- judging --------------------------------------------------------------------------------------

seat_tally tally_store(pg_connection& db) {
  auto count_of = [&](const char* sql) { return db.exec(sql, event_id).int_at(0, 0); };
  seat_tally t;
  t.sold = count_of("SELECT count(*) FROM reservations WHERE event_id = $1");
  auto map = db.exec("SELECT seats FROM seat_maps WHERE event_id = $1", event_id);
  auto seats = map.rows() == 1 ? *map.at(0, 0) : std::string{};
  t.marked = std::count(seats.begin(), seats.end(), '1');
  t.double_booked = count_of("SELECT count(*) FROM (SELECT seat FROM reservations WHERE event_id "
                             "= $1 GROUP BY seat HAVING count(*) > 1) s");
  t.requests_reserved_twice =
      count_of("SELECT count(*) FROM (SELECT req_id FROM reservations "
               "WHERE event_id = $1 GROUP BY req_id HAVING count(*) > 1) r");
  return t;
}

seat_tally tally_entity(const event_state& s) {
  seat_tally t;
  t.sold = s.reservations;
  std::map<std::string, int> seats_of;
  for (const auto& holder : s.holders)
    if (!holder.empty()) {
      t.marked += 1;
      seats_of[holder] += 1;
    }
  t.double_booked = s.double_booked;
  t.requests_reserved_twice =
      std::count_if(seats_of.begin(), seats_of.end(), [](const auto& kv) { return kv.second > 1; });
  return t;
}

namespace {

/// "2 seats sold twice, 1 request holding 2+ seats, 3 sold and 2 marked in the map".
std::string tally_words(const seat_tally& t) {
  return with_commas(t.double_booked) + (t.double_booked == 1 ? " seat" : " seats") +
         " sold twice, " + with_commas(t.requests_reserved_twice) +
         (t.requests_reserved_twice == 1 ? " request" : " requests") + " holding 2+ seats, " +
         with_commas(t.sold) + " sold and " + with_commas(t.marked) + " marked in the map";
}

/// "double_booked_seats 3, reservations_per_req_id > 1: 2, seats_sold − seats_marked 1".
std::string detection_words(const seat_tally& t) {
  return std::to_string(t.double_booked) + " / " + std::to_string(t.requests_reserved_twice) +
         " / " + std::to_string(t.sold - t.marked);
}

std::string map_rows(std::int64_t seats) {
  return "INSERT INTO seat_maps VALUES ('" + event_id + "', repeat('0', " + std::to_string(seats) +
         "), 0)";
}

} // namespace

caf::actor spawn_events(caf::actor_system& sys, dca::es::journal_ptr journal) {
  dca::es::entity_options quiet;
  quiet.idle_timeout = std::chrono::milliseconds{0};
  quiet.hibernate_after = std::chrono::milliseconds{0};
  return dca::es::spawn_entity_host<event_seats>(sys, std::move(journal), quiet);
}

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;

constexpr auto reply_timeout = std::chrono::seconds(30);
using handler_fn = answer (*)(pg_connection&, const invocation&, bool);

// -- exploring ------------------------------------------------------------------------------------

/// Two invocations, r1 and r2, each a stateless worker of its own, for the last two seats: every
/// order of their statements against the real database.
dca::explore::report explore_handler(handler_fn handler, const dca::explore::options& opts) {
  auto shop = std::make_shared<dca::harness::explored_workers>("ex13", schema_sql, 2);
  auto make = [shop, handler] {
    shop->reset(map_rows(2));
    dca::explore::thread_execution exec;
    for (std::int64_t t = 0; t < 2; ++t) {
      auto db = shop->workers[static_cast<std::size_t>(t)];
      exec.threads.push_back(
          {db->name(), [db, t, handler] { handler(*db, request_of(t), false); }});
    }
    exec.check =
        [shop](const std::vector<dca::explore::step>& trace) -> std::optional<std::string> {
      auto t = tally_store(shop->judge);
      if (t.clean())
        return std::nullopt;
      return dca::harness::first_reads(trace, "SELECT seat_maps") + tally_words(t);
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

dca::explore::report explore_shared(const dca::explore::options& opts) {
  return explore_handler(reserve_seat, opts);
}

/// Records the answer of invocation `i` (the explorer runs one actor at a time, on one thread).
caf::behavior answer_inbox(caf::event_based_actor* self, std::shared_ptr<std::vector<answer>> got,
                           std::size_t i) {
  return {[=](answer& a) {
    (*got)[i] = std::move(a);
    self->quit();
  }};
}

/// What the entity must keep after the invocations `calls` (a retried request comes twice).
std::optional<std::string> entity_verdict(const std::vector<invocation>& calls,
                                          const std::vector<answer>& got, const event_state& s) {
  std::map<std::string, std::set<int>> seats_of;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (got[i].seat == 0)
      return "invocation " + std::to_string(i + 1) + " (" + calls[i].request_id +
             ") got no seat: " + (got[i].error.empty() ? "no answer" : got[i].error);
    seats_of[calls[i].request_id].insert(got[i].seat);
  }
  for (const auto& [request, seats] : seats_of)
    if (seats.size() > 1)
      return "request " + request + " was given " + with_commas(std::int64_t(seats.size())) +
             " different seats, one per invocation";
  auto t = tally_entity(s);
  if (!t.clean() || t.sold != static_cast<std::int64_t>(seats_of.size()))
    return tally_words(t);
  return std::nullopt;
}

/// The event's entity (two seats), r1 invoked, and r1 again (the platform's retry, racing the
/// first or after it): every delivery order. (A third invocation multiplies the orders of the
/// host's mailbox past what a spec can wait for; r2 beside r1 is the spec's deterministic case.)
dca::explore::report explore_actors(const dca::explore::options& opts) {
  const std::vector<invocation> calls{request_of(0), request_of(0)};
  auto make = [calls] {
    auto events = std::make_shared<caf::actor>();
    auto got = std::make_shared<std::vector<answer>>(calls.size());
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      *events = spawn_events(world.system(), std::make_shared<dca::es::memory_journal>());
      world.name(*events, "event host");
      caf::anon_send(*events, dca::es::command_atom::value, entity_key(event_id),
                     event_seats::command{open_event{2}}, std::string{"open"});
      for (std::size_t i = 0; i < calls.size(); ++i) {
        auto inbox = world.system().spawn(answer_inbox, got, i);
        world.name(inbox, "answer " + std::to_string(i + 1));
        world.name(spawn_invocation(world.system(), *events, calls[i], inbox),
                   "invocation " + std::to_string(i + 1) + " (" + calls[i].request_id + ")");
      }
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      auto s = world.ask<event_state>(*events, dca::es::get_atom::value, entity_key(event_id));
      if (!s)
        return "the entity did not answer: " + world.system().render(s.error());
      return entity_verdict(calls, *got, *s);
    };
    return ex;
  };
  return dca::explore::explore_actors(make, opts);
}

// -- the platform on real threads -----------------------------------------------------------------

/// One run's load: how many requests, seats and invocations at once, and its fault plan.
struct load {
  std::int64_t requests = 0;
  std::int64_t seats = 0;
  std::int64_t concurrency = 0;
  std::vector<fault> plan;

  explicit load(const arguments& in)
      : requests(in.get("requests")), seats(in.get("seats")), concurrency(in.get("concurrency")),
        plan(faults_of(in.seed().value_or(1), requests, in.get("retry-percent"),
                       in.get("kill-percent"))) {}
};

/// Runs `invoke(worker, k)` for every request k on `l.concurrency` workers at once.
template <class Invoke>
void run_pool(const load& l, const progress_fn& progress, Invoke invoke) {
  std::atomic<std::int64_t> next{0}, done{0};
  std::vector<std::thread> pool;
  for (std::int64_t w = 0; w < l.concurrency; ++w)
    pool.emplace_back([&, w] {
      for (auto k = next++; k < l.requests; k = next++) {
        invoke(w, k);
        if (++done % 20 == 0)
          progress(static_cast<double>(done) / static_cast<double>(l.requests));
      }
    });
  for (auto& t : pool)
    t.join();
}

/// The handler on the platform: every request invoked, a timed-out one invoked again (after the
/// first finished), a killed worker's request invoked again.
seat_tally run_store(handler_fn handler, scratch& space, const load& l,
                     const progress_fn& progress) {
  space.reset(schema_sql, map_rows(l.seats));
  std::vector<pg_connection> workers;
  for (std::int64_t w = 0; w < l.concurrency; ++w)
    workers.push_back(space.connect("worker " + std::to_string(w + 1)));
  run_pool(l, progress, [&](std::int64_t w, std::int64_t k) {
    auto& db = workers[static_cast<std::size_t>(w)];
    auto f = l.plan[static_cast<std::size_t>(k)];
    try {
      handler(db, request_of(k), f == fault::killed_mid_invocation);
    } catch (const worker_killed&) {
      // autocommit statements: the dead worker's connection holds nothing, it serves the retry
    }
    if (f != fault::none)
      handler(db, request_of(k), false); // the retry: a new invocation, no memory of the first
  });
  auto judge = space.connect("judge");
  return tally_store(judge);
}

/// Invokes `call` on the entity and waits for its answer (each invocation its own inbox).
answer invoke_entity(caf::actor_system& sys, const caf::actor& events, const invocation& call) {
  caf::scoped_actor inbox{sys};
  spawn_invocation(sys, events, call, inbox);
  answer got;
  inbox->receive([&](answer& a) { got = std::move(a); },
                 caf::after(reply_timeout) >> [&] { got.error = "no answer"; });
  return got;
}

/// The same platform and plan on the event's entity; a killed invocation is stopped right after
/// it started, wherever it got to.
seat_tally run_entity(const load& l, const progress_fn& progress) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  dca::es::actor_owner events{spawn_events(sys, std::make_shared<dca::es::memory_journal>())};
  caf::scoped_actor self{sys};
  self->request(events.get(), reply_timeout, dca::es::command_atom::value, entity_key(event_id),
                event_seats::command{open_event{static_cast<int>(l.seats)}}, std::string{"open"})
      .receive([](const dca::es::ack&) {},
               [&](caf::error& e) { throw std::runtime_error{dca::es::render(e)}; });
  run_pool(l, progress, [&](std::int64_t, std::int64_t k) {
    auto f = l.plan[static_cast<std::size_t>(k)];
    if (f == fault::killed_mid_invocation) {
      caf::scoped_actor inbox{sys};
      auto doomed = spawn_invocation(sys, events.get(), request_of(k), inbox);
      caf::anon_send_exit(doomed, caf::exit_reason::kill);
    } else {
      invoke_entity(sys, events.get(), request_of(k));
    }
    if (f != fault::none)
      invoke_entity(sys, events.get(), request_of(k));
  });
  event_state s;
  self->request(events.get(), reply_timeout, dca::es::get_atom::value, entity_key(event_id))
      .receive([&](event_state& got) { s = std::move(got); },
               [&](caf::error& e) { throw std::runtime_error{dca::es::render(e)}; });
  return tally_entity(s);
}

std::string plan_words(const load& l) {
  auto count = [&](fault f) { return std::count(l.plan.begin(), l.plan.end(), f); };
  return with_commas(l.requests) + " requests for " + with_commas(l.seats) + " seats, " +
         with_commas(l.concurrency) + " at once; " +
         with_commas(count(fault::retried_after_finish)) + " retried after a timeout, " +
         with_commas(count(fault::killed_mid_invocation)) + " killed mid-invocation and retried";
}

void add_fields(run_result& out, const std::string& prefix, const seat_tally& t) {
  out.fields.emplace_back(prefix + "double_booked_seats", std::to_string(t.double_booked));
  out.fields.emplace_back(prefix + "requests_reserved_twice",
                          std::to_string(t.requests_reserved_twice));
  out.fields.emplace_back(prefix + "seats_sold_minus_marked", std::to_string(t.sold - t.marked));
  out.fields.emplace_back(prefix + "seats_sold", std::to_string(t.sold));
}

/// `dca run 13`: the naive handler, compare-and-set and the entity on the same load and plan.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  load l{in};
  scratch space{"ex13"};
  auto quiet = [](double) {};
  auto naive = run_store(reserve_seat, space, l, progress);
  auto cas = run_store(reserve_seat_cas, space, l, quiet);
  auto entity = run_entity(l, quiet);
  run_result out;
  out.corrupted = !naive.clean();
  out.summary = plan_words(l) +
                ". double_booked_seats / reservations_per_req_id > 1 / seats_sold - "
                "seats_marked: naive " +
                detection_words(naive) + "; compare-and-set " + detection_words(cas) + "; entity " +
                detection_words(entity);
  add_fields(out, "naive_", naive);
  add_fields(out, "cas_", cas);
  add_fields(out, "entity_", entity);
  return out;
}

/// `dca run 13 --variant actors`: the entity alone, on the same platform and plan.
run_result run_actors(const arguments& in, const progress_fn& progress) {
  load l{in};
  auto t = run_entity(l, progress);
  run_result out;
  out.corrupted = !t.clean() || t.sold != std::min(l.requests, l.seats);
  out.summary = plan_words(l) + ": " +
                (t.clean() ? with_commas(t.sold) + " seats sold, each once, one per request"
                           : tally_words(t));
  add_fields(out, "", t);
  return out;
}

} // namespace

dca::explore::report explore_cas(const dca::explore::options& opts) {
  return explore_handler(reserve_seat_cas, opts);
}

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {
      {"requests", 200, 1, 100'000, "how many reservation requests"},
      {"seats", seats_default, 1, 10'000, "how many seats the event has"},
      {"concurrency", 16, 1, 64, "how many invocations the platform runs at once"},
      {"retry-percent", 10, 0, 100, "requests whose invocation times out and is retried (%)"},
      {"kill-percent", 5, 0, 100, "requests whose worker is killed mid-invocation (%)"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace serverless_state
