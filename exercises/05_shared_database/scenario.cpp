// Exercise 05's harness: how `dca run 05` and `dca explore 05` drive both tracks against the real
// PostgreSQL (started on demand, a database of this run's own) and the entity runtime, and judge
// every run by the stock. Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
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

namespace shared_database {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;
using dca::services::pg_connection;
using dca::services::scratch;

constexpr auto reply_timeout = std::chrono::seconds(30);
const std::string contested_name = "alice";

std::string stock_rows(std::int64_t units) {
  return "INSERT INTO items VALUES (" + std::to_string(hot_sku) + ", " + std::to_string(units) +
         ")";
}

/// What a run ended with, for either track.
struct tally {
  std::int64_t stock = 0;       // what the store says is left
  std::int64_t sold = 0;        // orders taken
  std::int64_t name_owners = 0; // users given the contested name
};

run_result judge(const tally& t, std::int64_t initial, const arguments& in) {
  auto oversold = std::max<std::int64_t>(0, t.sold - initial);
  auto drift = t.stock - (initial - t.sold); // units the stock lost track of
  run_result out;
  out.corrupted = oversold > 0 || drift != 0 || t.name_owners > 1;
  out.summary = "sold " + with_commas(t.sold) + " of a stock of " + with_commas(initial) +
                (oversold > 0 ? " (oversold by " + with_commas(oversold) + ")" : "") +
                ", stock left " + with_commas(t.stock) + "; '" + contested_name + "' given to " +
                with_commas(t.name_owners) + (t.name_owners == 1 ? " user" : " users");
  out.fields = {{"workers", std::to_string(in.get("workers"))},
                {"requests", std::to_string(in.get("requests"))},
                {"sold", std::to_string(t.sold)},
                {"oversold", std::to_string(oversold)},
                {"stock_drift", std::to_string(drift)},
                {"name_owners", std::to_string(t.name_owners)}};
  return out;
}

/// Two workers, one unit left: the smallest oversell, against the real database.
dca::explore::report explore_oversell(const dca::explore::options& opts) {
  auto shop = std::make_shared<dca::harness::explored_workers>("ex05", schema_sql, 2);
  auto make = [shop] {
    shop->reset(stock_rows(1));
    dca::explore::thread_execution exec;
    for (std::int64_t t = 1; t <= 2; ++t) {
      auto db = shop->workers[static_cast<std::size_t>(t - 1)];
      exec.threads.push_back({db->name(), [db, t] { buy(*db, hot_sku, t); }});
    }
    exec.check =
        [shop](const std::vector<dca::explore::step>& trace) -> std::optional<std::string> {
      auto sold = shop->judge.exec("SELECT count(*) FROM orders").int_at(0, 0);
      auto stock = shop->judge.exec("SELECT stock FROM items").int_at(0, 0);
      if (sold <= 1 && stock == 1 - sold)
        return std::nullopt;
      return dca::harness::first_reads(trace, "SELECT items") + with_commas(sold) +
             " orders from a stock of 1 (oversold by " + with_commas(sold - 1) + "), stock left " +
             with_commas(stock);
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// `workers` threads, each a stateless worker with its own connection, share `requests` buys and
/// then all sign up the same name.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  const auto workers = in.get("workers"), requests = in.get("requests");
  scratch space{"ex05"};
  space.reset(schema_sql, stock_rows(initial_stock));
  std::atomic<std::int64_t> next_order{1}, done{0};
  std::vector<std::thread> pool;
  for (std::int64_t w = 0; w < workers; ++w)
    pool.emplace_back([&, w] {
      auto db = space.connect("worker " + std::to_string(w + 1));
      for (auto id = next_order++; id <= requests; id = next_order++) {
        buy(db, hot_sku, id);
        if (++done % 50 == 0)
          progress(static_cast<double>(done) / static_cast<double>(requests));
      }
      sign_up(db, contested_name, w + 1);
    });
  for (auto& t : pool)
    t.join();
  auto db = space.connect("judge");
  tally t{db.exec("SELECT stock FROM items WHERE sku = $1", hot_sku).int_at(0, 0),
          db.exec("SELECT count(*) FROM orders").int_at(0, 0),
          db.exec("SELECT count(*) FROM users WHERE username = $1", contested_name).int_at(0, 0)};
  return judge(t, initial_stock, in);
}

/// A stateless worker actor: sends its buys to the SKU's entity, then claims the name, and reports
/// how many of its buys were sold and whether it got the name.
caf::behavior actor_worker(caf::event_based_actor* self, caf::actor skus, caf::actor names,
                           std::vector<std::int64_t> orders, std::int64_t user, caf::actor report) {
  auto answered = std::make_shared<std::size_t>(0);
  auto sold = std::make_shared<std::int64_t>(0);
  auto claim = [=] {
    self->request(names, reply_timeout, dca::es::command_atom::value, contested_name,
                  username::command{claim_username{user}}, "user-" + std::to_string(user))
        .then([=](const dca::es::ack&) { self->send(report, *sold, std::int64_t{1}); },
              [=](caf::error&) { self->send(report, *sold, std::int64_t{0}); });
  };
  for (auto id : orders)
    self->request(skus, reply_timeout, dca::es::command_atom::value,
                  "sku-" + std::to_string(hot_sku), sku::command{buy_item{id}},
                  "order-" + std::to_string(id))
        .then(
            [=](const dca::es::ack&) {
              ++*sold;
              if (++*answered == orders.size())
                claim();
            },
            [=](caf::error&) {
              if (++*answered == orders.size())
                claim();
            });
  if (orders.empty())
    claim();
  return {};
}

/// The same load on the entities: every buy for the SKU goes to its one entity.
run_result run_actors(const arguments& in, const progress_fn&) {
  const auto workers = in.get("workers"), requests = in.get("requests");
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto journal = std::make_shared<dca::es::memory_journal>();
  dca::es::actor_owner skus{dca::es::spawn_entity_host<sku>(sys, journal)};
  dca::es::actor_owner names{dca::es::spawn_entity_host<username>(sys, journal)};
  caf::scoped_actor self{sys};
  auto key = "sku-" + std::to_string(hot_sku);
  self->request(skus.get(), reply_timeout, dca::es::command_atom::value, key,
                sku::command{receive_stock{initial_stock}}, std::string{"delivery-1"})
      .receive([](const dca::es::ack&) {},
               [&](caf::error& e) { throw std::runtime_error{dca::es::render(e)}; });
  spawn_entity_workers(sys, skus.get(), names.get(), workers, requests,
                       caf::actor_cast<caf::actor>(self));
  tally t;
  for (std::int64_t w = 0; w < workers; ++w)
    self->receive(
        [&](std::int64_t sold, std::int64_t got_name) {
          t.sold += sold;
          t.name_owners += got_name;
        },
        caf::after(reply_timeout) >> [] { throw std::runtime_error{"a worker never reported"}; });
  self->request(skus.get(), reply_timeout, dca::es::get_atom::value, key)
      .receive([&](const sku_state& s) { t.stock = s.stock; },
               [&](caf::error& e) { throw std::runtime_error{dca::es::render(e)}; });
  return judge(t, initial_stock, in);
}

/// An explored buyer: one buy for the SKU's entity, its answer written into `sold` (the explorer
/// runs one actor at a time, on one thread, so the shared vector is safe here).
caf::behavior explored_buyer(caf::event_based_actor* self, caf::actor skus,
                             std::shared_ptr<std::vector<int>> sold, std::size_t i) {
  self->request(skus, reply_timeout, dca::es::command_atom::value, "sku-" + std::to_string(hot_sku),
                sku::command{buy_item{static_cast<std::int64_t>(i + 1)}},
                "order-" + std::to_string(i + 1))
      .then([=](const dca::es::ack&) { (*sold)[i] = 1; }, [=](caf::error&) { (*sold)[i] = 0; });
  return {};
}

/// The entity on every explored delivery order: a delivery of 1 unit and three buyers, in any
/// order. Whatever comes first, the entity never sells a unit it does not have.
dca::explore::report explore_entities(const dca::explore::options& opts) {
  auto make = [] {
    auto skus = std::make_shared<caf::actor>();
    auto sold = std::make_shared<std::vector<int>>(3, -1);
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      dca::es::entity_options quiet; // no idle timers: the explorer waits for quiet actors
      quiet.idle_timeout = std::chrono::milliseconds{0};
      quiet.hibernate_after = std::chrono::milliseconds{0};
      *skus = dca::es::spawn_entity_host<sku>(world.system(),
                                              std::make_shared<dca::es::memory_journal>(), quiet);
      world.name(*skus, "sku host");
      caf::anon_send(*skus, dca::es::command_atom::value, "sku-" + std::to_string(hot_sku),
                     sku::command{receive_stock{1}}, std::string{"delivery-1"});
      for (std::size_t i = 0; i < sold->size(); ++i)
        world.name(world.system().spawn(explored_buyer, *skus, sold, i),
                   "buyer " + std::to_string(i + 1));
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      auto s =
          world.ask<sku_state>(*skus, dca::es::get_atom::value, "sku-" + std::to_string(hot_sku));
      if (!s)
        return "the entity did not answer: " + world.system().render(s.error());
      auto paid = std::count(sold->begin(), sold->end(), 1);
      if (std::count(sold->begin(), sold->end(), -1) > 0)
        return std::string{"a buyer got no answer"};
      if (s->stock < 0 || paid > 1 || paid != s->sold)
        return with_commas(paid) + " buyers were sold a unit from a stock of 1, stock left " +
               with_commas(s->stock);
      return std::nullopt;
    };
    return ex;
  };
  return dca::explore::explore_actors(make, opts);
}

// -- dca run 05 --compare: the database's fixes beside the entity, on the same load ---------------

enum class fix { read_committed, for_update, conditional_update, serializable_retry };

/// One buy as each fix writes it; `retries` counts transactions the server refused (40001/40P01).
bool buy_with(fix f, pg_connection& db, std::int64_t order, std::int64_t& retries) {
  if (f == fix::read_committed)
    return buy(db, hot_sku, order);
  for (;;) {
    try {
      db.exec(f == fix::serializable_retry ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
      std::int64_t took = 0;
      if (f == fix::conditional_update) { // the check is the UPDATE's own WHERE
        took = db.exec("UPDATE items SET stock = stock - 1 WHERE sku = $1 AND stock > 0", hot_sku)
                   .affected();
      } else {
        auto stock =
            db.exec(f == fix::for_update ? "SELECT stock FROM items WHERE sku = $1 FOR UPDATE"
                                         : "SELECT stock FROM items WHERE sku = $1",
                    hot_sku)
                .int_at(0, 0);
        if (stock > 0)
          took =
              db.exec("UPDATE items SET stock = $1 WHERE sku = $2", stock - 1, hot_sku).affected();
      }
      if (took > 0)
        db.exec("INSERT INTO orders (order_id, sku) VALUES ($1, $2)", order, hot_sku);
      db.exec("COMMIT");
      return took > 0;
    } catch (const dca::services::sql_error& e) {
      db.exec("ROLLBACK");
      if (!e.serialization_failure() && !e.deadlock())
        throw;
      ++retries;
    }
  }
}

struct compare_row {
  std::string name;
  tally t;
  std::int64_t retries = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

double p99_ms(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, xs.size() * 99 / 100)];
}

compare_row run_fix(fix f, const char* name, scratch& space, std::int64_t workers,
                    std::int64_t requests) {
  space.reset(schema_sql, stock_rows(initial_stock));
  compare_row row{name, {}, 0, 0, {}};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(workers));
  std::vector<std::int64_t> retries(static_cast<std::size_t>(workers), 0);
  std::atomic<std::int64_t> next_order{1};
  std::vector<pg_connection> dbs;
  for (std::int64_t w = 0; w < workers; ++w)
    dbs.push_back(space.connect("worker " + std::to_string(w + 1)));
  auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < dbs.size(); ++w)
    pool.emplace_back([&, w] {
      for (auto id = next_order++; id <= requests; id = next_order++) {
        auto t0 = std::chrono::steady_clock::now();
        buy_with(f, dbs[w], id, retries[w]);
        std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - t0;
        latencies[w].push_back(took.count());
      }
    });
  for (auto& t : pool)
    t.join();
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  for (std::size_t w = 0; w < dbs.size(); ++w) {
    row.retries += retries[w];
    row.latencies_ms.insert(row.latencies_ms.end(), latencies[w].begin(), latencies[w].end());
  }
  row.t.stock = dbs[0].exec("SELECT stock FROM items WHERE sku = $1", hot_sku).int_at(0, 0);
  row.t.sold = dbs[0].exec("SELECT count(*) FROM orders").int_at(0, 0);
  return row;
}

/// The entity on the same load: `workers` threads, each sending its buys one at a time (as a
/// worker handling requests would) to the SKU's entity, timing each request to its answer.
compare_row run_entity(std::int64_t workers, std::int64_t requests) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  dca::es::actor_owner skus{
      dca::es::spawn_entity_host<sku>(sys, std::make_shared<dca::es::memory_journal>())};
  auto key = "sku-" + std::to_string(hot_sku);
  auto ask = [&](caf::scoped_actor& self, sku::command cmd, std::string idempotency_key) {
    bool sold = false;
    self->request(skus.get(), reply_timeout, dca::es::command_atom::value, key, std::move(cmd),
                  std::move(idempotency_key))
        .receive([&](const dca::es::ack&) { sold = true; }, [](caf::error&) {});
    return sold;
  };
  caf::scoped_actor delivery{sys};
  ask(delivery, receive_stock{initial_stock}, "delivery-1");
  compare_row row{"entity (dca::es, memory journal)", {}, 0, 0, {}};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(workers));
  std::atomic<std::int64_t> next_order{1}, sold{0};
  auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < latencies.size(); ++w)
    pool.emplace_back([&, w] {
      caf::scoped_actor self{sys};
      for (auto id = next_order++; id <= requests; id = next_order++) {
        auto t0 = std::chrono::steady_clock::now();
        sold += ask(self, buy_item{id}, "order-" + std::to_string(id)) ? 1 : 0;
        std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - t0;
        latencies[w].push_back(took.count());
      }
    });
  for (auto& t : pool)
    t.join();
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  for (auto& l : latencies)
    row.latencies_ms.insert(row.latencies_ms.end(), l.begin(), l.end());
  row.t.sold = sold;
  delivery->request(skus.get(), reply_timeout, dca::es::get_atom::value, key)
      .receive([&](const sku_state& s) { row.t.stock = s.stock; }, [](caf::error&) {});
  return row;
}

void print_compare(const std::vector<compare_row>& rows, std::int64_t requests) {
  std::cout << std::left << std::setw(36) << "variant" << std::right << std::setw(6) << "sold"
            << std::setw(10) << "oversold" << std::setw(9) << "retries" << std::setw(10) << "tx/s"
            << std::setw(12) << "p99 ms" << '\n';
  for (const auto& r : rows)
    std::cout << std::left << std::setw(36) << r.name << std::right << std::setw(6) << r.t.sold
              << std::setw(10) << std::max<std::int64_t>(0, r.t.sold - initial_stock)
              << std::setw(9) << r.retries << std::setw(10)
              << static_cast<std::int64_t>(static_cast<double>(requests) / r.seconds)
              << std::setw(12) << std::fixed << std::setprecision(2) << p99_ms(r.latencies_ms)
              << '\n';
}

/// `dca run 05 --compare`: the same load on each database fix and on the entity, in one run.
run_result run_compare(const arguments& in, const progress_fn& progress) {
  const auto workers = in.get("workers"), requests = in.get("requests");
  scratch space{"ex05"};
  std::vector<compare_row> rows;
  const std::vector<std::pair<fix, const char*>> fixes{
      {fix::read_committed, "READ COMMITTED read-modify-write"},
      {fix::for_update, "SELECT ... FOR UPDATE"},
      {fix::conditional_update, "UPDATE ... WHERE stock > 0"},
      {fix::serializable_retry, "SERIALIZABLE with retry"}};
  for (const auto& [f, name] : fixes) {
    rows.push_back(run_fix(f, name, space, workers, requests));
    progress(static_cast<double>(rows.size()) / 5.0);
  }
  rows.push_back(run_entity(workers, requests));
  print_compare(rows, requests);
  run_result out;
  auto rate = [&](const compare_row& r) { return static_cast<double>(requests) / r.seconds; };
  const auto& serializable = rows[3];
  const auto& entity = rows[4];
  bool fixes_exact = std::all_of(rows.begin() + 1, rows.end(), [](const compare_row& r) {
    return r.t.sold == initial_stock && r.t.stock == 0;
  });
  out.corrupted = !fixes_exact;
  out.summary = "read-modify-write sold " + with_commas(rows[0].t.sold) + " of " +
                with_commas(initial_stock) + "; every fix sold " +
                (fixes_exact ? "exactly the stock" : "a wrong amount") + "; the entity ran " +
                with_commas(static_cast<std::int64_t>(rate(entity))) +
                " tx/s, SERIALIZABLE with retry " +
                with_commas(static_cast<std::int64_t>(rate(serializable)));
  const char* keys[] = {"read_committed", "for_update", "conditional_update", "serializable",
                        "entity"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.fields.emplace_back(std::string{keys[i]} + "_sold", std::to_string(rows[i].t.sold));
    out.fields.emplace_back(std::string{keys[i]} + "_retries", std::to_string(rows[i].retries));
    out.fields.emplace_back(std::string{keys[i]} + "_tx_per_s",
                            std::to_string(static_cast<std::int64_t>(rate(rows[i]))));
  }
  return out;
}

} // namespace

dca::explore::report explore_signup(const dca::explore::options& opts) {
  auto shop = std::make_shared<dca::harness::explored_workers>("ex05", schema_sql, 2);
  auto make = [shop] {
    shop->reset("");
    dca::explore::thread_execution exec;
    for (std::int64_t t = 1; t <= 2; ++t) {
      auto db = shop->workers[static_cast<std::size_t>(t - 1)];
      exec.threads.push_back({db->name(), [db, t] { sign_up(*db, contested_name, t); }});
    }
    exec.check =
        [shop](const std::vector<dca::explore::step>& trace) -> std::optional<std::string> {
      auto owners =
          shop->judge.exec("SELECT count(*) FROM users WHERE username = $1", contested_name)
              .int_at(0, 0);
      if (owners <= 1)
        return std::nullopt;
      return dca::harness::first_reads(trace, "SELECT users") + "'" + contested_name +
             "' was given to " + with_commas(owners) + " users";
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

void spawn_entity_workers(caf::actor_system& system, const caf::actor& skus,
                          const caf::actor& names, std::int64_t workers, std::int64_t requests,
                          const caf::actor& report) {
  for (std::int64_t w = 0; w < workers; ++w) {
    std::vector<std::int64_t> orders;
    for (auto id = w + 1; id <= requests; id += workers)
      orders.push_back(id);
    system.spawn(actor_worker, skus, names, orders, w + 1, report);
  }
}

caf::error make_error(errc code, std::string detail) {
  return dca::es::make_domain_error(error_category, static_cast<std::uint8_t>(code),
                                    code == errc::sold_out ? "sold_out" : "taken",
                                    std::move(detail));
}

bool is(const caf::error& err, errc code) noexcept {
  return dca::es::is_domain_error(err, error_category, static_cast<std::uint8_t>(code));
}

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {
      {"workers", 8, 1, 64, "how many stateless workers, each with its own connection"},
      {"requests", 200, 1, 100'000, "how many buy requests they share (stock: 100)"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_oversell;
  ex.explore_actors = explore_entities;
  ex.run_compare = run_compare;
  return ex;
}

} // namespace shared_database
