// Exercise 06's harness: how `dca run 06` and `dca explore 06` drive both tracks against the real
// PostgreSQL and Redis (scripts/services), and count the stale keys the cache holds once every
// reader and writer is done. Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include "dca/es/entity_host.hpp"
#include "dca/es/projection.hpp"
#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/entity_world.hpp"
#include "dca/harness/start_gate.hpp"

namespace cache_aside {

// -- the servers ----------------------------------------------------------------------------------

run_space_ptr make_run_space() {
  auto space = std::make_shared<run_space>("ex06");
  space->reset("CREATE TABLE prices (sku text PRIMARY KEY, cents bigint NOT NULL)");
  return space;
}

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

constexpr auto reply_timeout = std::chrono::seconds(10);

/// `count` products named prefix0, prefix1, ...: one fresh key per round or schedule.
std::vector<std::string> product_names(const std::string& prefix, std::int64_t count) {
  std::vector<std::string> skus;
  for (std::int64_t r = 0; r < count; ++r)
    skus.push_back(prefix + std::to_string(r));
  return skus;
}

/// Puts the products into PostgreSQL at price_before_cents.
void add_products(const run_space& space, const std::vector<std::string>& skus) {
  auto db = space.connect("setup");
  for (const auto& sku : skus)
    db.exec("INSERT INTO prices (sku, cents) VALUES ($1, $2)", sku, price_before_cents);
}

/// A key whose cached price is not the owner's at quiescence: what the cache will serve.
struct stale_key {
  std::string sku;
  std::int64_t cached = 0;
  std::int64_t truth = 0;
};

std::string stale_words(const stale_key& k, const char* owner) {
  return "the cache holds " + with_commas(k.cached) + " for " + k.sku + ", " + owner + " " +
         with_commas(k.truth) + ": stale until its TTL (" + std::to_string(cache_ttl_ms / 1000) +
         " s) runs out";
}

run_result judge(const std::vector<stale_key>& stale, std::int64_t rounds, const char* owner,
                 const arguments& in) {
  run_result out;
  out.corrupted = !stale.empty();
  auto total = with_commas(rounds);
  out.summary = stale.empty()
                    ? "no stale key: every cached price is the owner's, in " + total + " rounds"
                    : "stale keys at quiescence: " + with_commas(stale.size()) + " of " + total +
                          "; e.g. " + stale_words(stale.front(), owner);
  out.fields = {{"readers", std::to_string(in.get("readers"))},
                {"writers", std::to_string(in.get("writers"))},
                {"rounds", std::to_string(rounds)},
                {"stale_keys", std::to_string(stale.size())}};
  return out;
}

/// The shared-state stale keys: cached prices that differ from PostgreSQL's.
std::vector<stale_key> stale_in_cache(const run_space& space,
                                      const std::vector<std::string>& skus) {
  catalog db{space, "judge"};
  price_cache cache{space, "judge"};
  std::vector<stale_key> stale;
  for (const auto& sku : skus) {
    auto cached = cache.get(sku);
    auto truth = db.price(sku);
    if (cached && *cached != truth)
      stale.push_back({sku, *cached, truth});
  }
  return stale;
}

/// Worker w of a round: the first `writers` workers write, the others read.
void work_round(std::int64_t w, std::int64_t writers, catalog& db, price_cache& cache,
                const std::string& sku) {
  if (w < writers)
    write_price(db, cache, sku, price_after_cents + w);
  else
    read_price(db, cache, sku);
}

/// What the workers of a real run share: the products, the gate they meet at each round, and
/// the first failure (a server gone), after which every worker only passes the gate.
struct shared_run {
  const run_space& space;
  const std::vector<std::string>& skus;
  std::int64_t writers;
  dca::harness::start_gate gate;
  std::mutex failed_lock;
  std::exception_ptr failed;
  std::atomic<bool> any_failed{false};
};

void worker(shared_run& run, std::int64_t w, const progress_fn& progress) {
  std::optional<catalog> db;
  std::optional<price_cache> cache;
  for (std::size_t r = 0; r < run.skus.size(); ++r) {
    run.gate.pass();
    if (run.any_failed)
      continue;
    try {
      auto name = (w < run.writers ? "writer " : "reader ") + std::to_string(w + 1);
      if (!db)
        db.emplace(run.space, name), cache.emplace(run.space, name);
      work_round(w, run.writers, *db, *cache, run.skus[r]);
    } catch (...) {
      std::lock_guard<std::mutex> hold{run.failed_lock};
      run.failed = std::current_exception();
      run.any_failed = true;
    }
    if (w == 0 && r % 50 == 49)
      progress(static_cast<double>(r + 1) / static_cast<double>(run.skus.size()));
  }
}

/// Every round, readers and writers meet at a fresh product: a barrier starts them together.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  auto workers = in.get("readers") + in.get("writers");
  auto space = make_run_space();
  auto skus = product_names("r", in.get("rounds"));
  add_products(*space, skus);
  shared_run run{*space, skus, in.get("writers"), dca::harness::start_gate{workers}, {}, {}, {}};
  std::vector<std::thread> pool;
  for (std::int64_t w = 0; w < workers; ++w)
    pool.emplace_back([&, w] { worker(run, w, progress); });
  for (auto& t : pool)
    t.join();
  if (run.failed)
    std::rethrow_exception(run.failed);
  return judge(stale_in_cache(*space, skus), in.get("rounds"), "PostgreSQL", in);
}

// -- the message-passing track, on real actors ----------------------------------------------------

/// The entity's prices and the cache projection, over a journal in which every sku already has
/// its price_before_cents, as the products table does in the shared-state track.
struct price_world {
  dca::harness::entity_world<price> entities;
  caf::actor prices = entities.host();
  caf::actor projection;

  price_world(caf::actor_system& system, const run_space_ptr& space,
              const std::vector<std::string>& skus)
      : entities(system, skus, price_set{price_before_cents}),
        projection(entities.follow(spawn_cache_projection(system, entities.journal(), space))) {}
};

/// A writer: sets the price of `sku` through its entity, then quits.
caf::behavior writer(caf::event_based_actor* self, caf::actor prices, std::string sku,
                     std::int64_t cents) {
  self->request(prices, reply_timeout, dca::es::command_atom::value, sku,
                price::command{set_price{cents}}, std::string{})
      .then([](const dca::es::ack&) {});
  return {};
}

/// The cents the cache holds for `sku` (the hash store_if_newer writes), read by the harness
/// itself, not with the learner's load_cached: graded judged, the check counts what Redis holds,
/// not what the learner's code says it holds. A value that is not a number reads as -1 (stale).
std::optional<std::int64_t> cents_in_cache(dca::services::redis_connection& cache,
                                           const run_space& space, const std::string& sku) {
  auto reply = cache.command({"HGET", space.key("price:" + sku), "cents"});
  if (reply.is_nil())
    return std::nullopt;
  std::int64_t cents = -1;
  auto end = reply.text.data() + reply.text.size();
  if (std::from_chars(reply.text.data(), end, cents).ptr != end)
    cents = -1;
  return cents;
}

/// The message-passing stale keys: cached prices that differ from the entity's.
template <class Ask>
std::vector<stale_key> stale_in_projection(const run_space& space,
                                           const std::vector<std::string>& skus, Ask ask_state) {
  auto cache = space.connect_redis("judge");
  std::vector<stale_key> stale;
  for (const auto& sku : skus) {
    auto cached = cents_in_cache(cache, space, sku);
    auto truth = ask_state(sku);
    if (cached && *cached != truth.cents)
      stale.push_back({sku, *cached, truth.cents});
  }
  return stale;
}

/// One round on real actors: the readers and writers of one sku, answered before the next.
void actor_round(caf::actor_system& system, caf::scoped_actor& self, const price_world& world,
                 const std::vector<caf::actor>& readers, const arguments& in,
                 const std::string& sku) {
  for (std::int64_t w = 0; w < in.get("writers"); ++w)
    system.spawn(writer, world.prices, sku, price_after_cents + w);
  for (const auto& r : readers)
    self->request(r, reply_timeout, read_atom::value, sku)
        .receive([](std::int64_t) {},
                 [&](caf::error& e) {
                   throw std::runtime_error("a reader got no price: " + system.render(e));
                 });
}

run_result run_actors(const arguments& in, const progress_fn& progress) {
  auto rounds = in.get("rounds");
  auto space = make_run_space();
  auto skus = product_names("r", rounds);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  price_world world{system, space, skus};
  std::vector<caf::actor> readers;
  for (std::int64_t i = 0; i < in.get("readers"); ++i)
    readers.push_back(spawn_reader(system, world.prices, space));
  for (std::int64_t r = 0; r < rounds; ++r) {
    actor_round(system, self, world, readers, in, skus[static_cast<std::size_t>(r)]);
    if (r % 50 == 49)
      progress(static_cast<double>(r + 1) / static_cast<double>(rounds));
  }
  // Every write was committed before the wait below; the projection handles it in that order.
  self->request(world.projection, reply_timeout, dca::es::checkpoint_atom::value)
      .receive([](std::uint64_t) {}, [](caf::error&) {});
  auto stale = stale_in_projection(*space, skus, [&](const std::string& sku) {
    price_state s;
    self->request(world.prices, reply_timeout, dca::es::get_atom::value, sku)
        .receive([&](const price_state& x) { s = x; }, [](caf::error&) {});
    return s;
  });
  for (const auto& r : readers)
    self->send_exit(r, caf::exit_reason::user_shutdown);
  return judge(stale, rounds, "the entity", in);
}

// -- exploration ----------------------------------------------------------------------------------

/// How the stale price got there: read from `owner` before the write, filled after it.
std::string reader_story(const stale_key& k, const char* owner, const char* write_then) {
  return "the reader missed, read " + with_commas(k.cached) + " from " + owner +
         ", the writer set " + with_commas(k.truth) + write_then +
         ", then the reader filled the cache with the " + with_commas(k.cached) + " it had read: ";
}

/// The smallest stale set: one reader and one writer of one product, in their own run space.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  auto space = make_run_space();
  auto schedules = std::make_shared<int>(0);
  auto make = [space, schedules] {
    auto sku = "s" + std::to_string((*schedules)++); // a fresh product every schedule
    add_products(*space, {sku});
    auto reader_side = std::make_shared<std::pair<catalog, price_cache>>(
        catalog{*space, "reader"}, price_cache{*space, "reader"});
    auto writer_side = std::make_shared<std::pair<catalog, price_cache>>(
        catalog{*space, "writer"}, price_cache{*space, "writer"});
    dca::explore::thread_execution exec;
    exec.threads.push_back({"reader", [reader_side, sku] {
                              read_price(reader_side->first, reader_side->second, sku);
                            }});
    exec.threads.push_back({"writer", [writer_side, sku] {
                              write_price(writer_side->first, writer_side->second, sku,
                                          price_after_cents);
                            }});
    exec.check = [space,
                  sku](const std::vector<dca::explore::step>&) -> std::optional<std::string> {
      auto stale = stale_in_cache(*space, {sku});
      if (stale.empty())
        return std::nullopt;
      return reader_story(stale.front(), "PostgreSQL", " and deleted the key") +
             stale_words(stale.front(), "PostgreSQL");
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// A reader's miss and a writer's update of one price, as messages: every order in which the
/// entity, the projection and the reader can handle them.
dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto space = make_run_space();
  auto cache = std::make_shared<dca::services::redis_connection>(space->connect_redis("judge"));
  auto make = [space, cache] {
    // One product whose cached price is deleted before each schedule (not a fresh one each time):
    // a replay then reproduces the verdict and the trace word for word, judged or in process.
    const std::string sku = "s1";
    cache->command({"DEL", space->key("price:" + sku)});
    auto world = std::make_shared<std::unique_ptr<price_world>>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& w) {
      *world = std::make_unique<price_world>(w.system(), space, std::vector<std::string>{sku});
      w.name((*world)->prices, "prices");
      w.name((*world)->projection, "cache projection");
      auto reader = spawn_reader(w.system(), (*world)->prices, space);
      w.name(reader, "reader");
      w.name(w.system().spawn([=](caf::event_based_actor* self) {
        self->request(reader, reply_timeout, read_atom::value, sku).then([](std::int64_t) {});
      }),
             "customer");
      w.name(w.system().spawn(writer, (*world)->prices, sku, price_after_cents), "writer");
    };
    ex.check = [=](dca::explore::actor_world& w) -> std::optional<std::string> {
      std::optional<std::string> unanswered;
      auto stale = stale_in_projection(*space, {sku}, [&](const std::string& key) {
        auto s = w.ask<price_state>((*world)->prices, dca::es::get_atom::value, key);
        if (!s)
          unanswered = "the price entity did not answer: " + w.system().render(s.error());
        return s ? *s : price_state{};
      });
      world->reset(); // its journal subscription ends with this schedule
      if (unanswered)
        return unanswered;
      if (stale.empty())
        return std::nullopt;
      return reader_story(stale.front(), "the entity", " and the projection cached it") +
             stale_words(stale.front(), "the entity");
    };
    return ex;
  };
  return dca::explore::explore_actors(make, opts);
}

} // namespace

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {{"readers", 2, 1, 32, "how many readers look up each product at once"},
                   {"writers", 1, 1, 32, "how many writers change its price at the same moment"},
                   {"rounds", 200, 1, 100'000, "how many fresh products they try it on"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace cache_aside
