// Exercise 07's harness: how `dca run 07` and `dca explore 07` drive both tracks against the real
// PostgreSQL and Redis (scripts/services), with crashes injected between the writes, and how they
// reconcile the truth (the orders table, or the journal) with what the stream told shipping.
// Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <thread>

#include "dca/es/entity_host.hpp"
#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/entity_world.hpp"

namespace dual_write {

// -- the servers ----------------------------------------------------------------------------------

run_space_ptr make_run_space() {
  auto space = std::make_shared<run_space>("ex07");
  space->reset("CREATE TABLE orders (order_id text PRIMARY KEY, cents bigint NOT NULL)");
  return space;
}

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

constexpr auto reply_timeout = std::chrono::seconds(10);

// -- reconciling ----------------------------------------------------------------------------------

/// The two sides counted against each other: orders the truth holds that no event announced,
/// events of orders the truth does not hold, and orders announced (or shipped) more than once.
struct tally {
  std::vector<std::string> missing;
  std::vector<std::string> phantom;
  std::vector<std::string> twice;
  bool clean() const { return missing.empty() && phantom.empty() && twice.empty(); }
};

tally reconcile(std::vector<std::string> truth, const std::vector<std::string>& announced) {
  std::map<std::string, int> times;
  for (const auto& id : announced)
    times[id] += 1;
  std::sort(truth.begin(), truth.end());
  tally out;
  for (const auto& id : truth)
    if (times.count(id) == 0)
      out.missing.push_back(id);
  for (const auto& [id, n] : times) {
    if (!std::binary_search(truth.begin(), truth.end(), id))
      out.phantom.push_back(id);
    else if (n > 1)
      out.twice.push_back(id);
  }
  return out;
}

/// "3 (o1, o4, o9)" or "3 (o1, o4, o9, ...)": a count and the first few ids.
std::string count_words(const std::vector<std::string>& ids) {
  constexpr std::size_t shown_max = 3;
  auto words = with_commas(static_cast<std::int64_t>(ids.size()));
  for (std::size_t i = 0; i < ids.size() && i < shown_max; ++i)
    words += (i == 0 ? " (" : ", ") + ids[i];
  if (!ids.empty())
    words += ids.size() > shown_max ? ", ...)" : ")";
  return words;
}

std::string tally_words(const tally& t, const char* handled_twice) {
  return "orders without events: " + count_words(t.missing) +
         "; events without orders: " + count_words(t.phantom) + "; " + handled_twice + ": " +
         count_words(t.twice);
}

/// The order ids starting with `prefix` in PostgreSQL's orders table.
std::vector<std::string> orders_in_table(dca::services::pg_connection& db,
                                         const std::string& prefix) {
  auto rows = db.exec("SELECT order_id FROM orders WHERE starts_with(order_id, $1)", prefix);
  std::vector<std::string> ids;
  for (std::size_t r = 0; r < rows.rows(); ++r)
    ids.push_back(*rows.at(r, 0));
  return ids;
}

/// The order ids starting with `prefix` announced on the stream, one per entry.
std::vector<std::string> orders_in_stream(dca::services::redis_connection& redis,
                                          const std::string& stream, const std::string& prefix) {
  auto reply = redis.command({"XRANGE", stream, "-", "+"});
  std::vector<std::string> ids;
  for (const auto& entry : reply.elements) {
    const auto& fields = entry.elements.at(1).elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
      if (fields[i].text == "order_id" && fields[i + 1].text.rfind(prefix, 0) == 0)
        ids.push_back(fields[i + 1].text);
  }
  return ids;
}

/// The judge's own connections to both servers.
struct reconciling {
  dca::services::pg_connection db;
  dca::services::redis_connection redis;
  explicit reconciling(const run_space& space)
      : db(space.connect("reconcile")), redis(space.connect_redis("reconcile")) {}
};

/// Whether the process of `service` crashes while placing its `k`th order: one in 100 /
/// `crash_percent`, the same for the same seed.
bool crashes(std::uint64_t seed, std::int64_t service, std::int64_t k, std::int64_t crash_percent) {
  return dca::harness::crash_rolled(seed, static_cast<std::uint64_t>(service),
                                    static_cast<std::uint64_t>(k), 0, crash_percent);
}

/// `clean_words` say what a clean run proved; `handled_twice` names the third count.
run_result judge(const tally& t, std::int64_t orders, std::int64_t crash_count,
                 const char* clean_words, const char* handled_twice, const arguments& in) {
  run_result out;
  out.corrupted = !t.clean();
  out.summary = with_commas(orders) + " orders, " + with_commas(crash_count) + " crashes: " +
                (t.clean() ? std::string{clean_words} : tally_words(t, handled_twice));
  out.fields = {{"services", std::to_string(in.get("services"))},
                {"orders", std::to_string(orders)},
                {"crashes", std::to_string(crash_count)},
                {"orders_without_events", std::to_string(t.missing.size())},
                {"events_without_orders", std::to_string(t.phantom.size())},
                {"handled_twice", std::to_string(t.twice.size())}};
  return out;
}

// -- the shared-state track on real threads -------------------------------------------------------

/// One order service: places its orders, PostgreSQL first when `service` is even, the stream first
/// when odd; a crashed process restarts with new connections and goes on with the next order.
std::int64_t run_service(const run_space& space, std::int64_t service, const arguments& in) {
  auto name = "service " + std::to_string(service + 1);
  auto connect = [&] {
    return std::make_pair(order_table{space, name}, order_stream{space, name, space.key("orders")});
  };
  auto process = std::make_unique<std::pair<order_table, order_stream>>(connect());
  std::int64_t crash_count = 0;
  for (std::int64_t k = 0; k < in.get("orders"); ++k) {
    order_line order{"o" + std::to_string(service + 1) + "-" + std::to_string(k + 1), order_cents};
    process_life life;
    if (crashes(in.seed().value_or(1), service, k, in.get("crash-percent")))
      life.kill();
    try {
      if (service % 2 == 0)
        place_order(process->first, process->second, life, order);
      else
        place_order_publish_first(process->first, process->second, life, order);
    } catch (const process_killed&) {
      crash_count += 1;
      process = std::make_unique<std::pair<order_table, order_stream>>(connect()); // restarted
    }
  }
  return crash_count;
}

run_result run_shared(const arguments& in, const progress_fn& progress) {
  auto space = make_run_space();
  auto services = in.get("services");
  std::vector<std::int64_t> crash_counts(static_cast<std::size_t>(services));
  std::vector<std::exception_ptr> failures(crash_counts.size());
  std::vector<std::thread> pool;
  for (std::size_t s = 0; s < crash_counts.size(); ++s)
    pool.emplace_back([&, s] {
      try {
        crash_counts[s] = run_service(*space, static_cast<std::int64_t>(s), in);
      } catch (...) {
        failures[s] = std::current_exception();
      }
    });
  for (auto& t : pool)
    t.join();
  for (const auto& failed : failures)
    if (failed)
      std::rethrow_exception(failed);
  progress(1.0);
  std::int64_t crash_count = 0;
  for (auto n : crash_counts)
    crash_count += n;
  reconciling reconciler{*space};
  auto t = reconcile(orders_in_table(reconciler.db, ""),
                     orders_in_stream(reconciler.redis, space->key("orders"), ""));
  return judge(t, services * in.get("orders"), crash_count, "every order has exactly one event",
               "events published twice", in);
}

// -- the message-passing track --------------------------------------------------------------------

/// The order entities, shipping and the relay, over a fresh in-memory journal.
struct order_world {
  dca::harness::entity_world<order> entities;
  caf::actor orders = entities.host();
  caf::actor shipping;
  caf::actor relay;

  order_world(caf::actor_system& system, const run_space_ptr& space, const relay_keys& keys)
      : entities(system), shipping(entities.stop_with_world(spawn_shipping(system, space, keys))),
        relay(entities.follow(spawn_relay(system, entities.journal(), space, keys, shipping))) {}

  /// The ids of every order the journal holds: the truth.
  std::vector<std::string> placed() const {
    std::vector<std::string> ids;
    std::vector<dca::es::event_record> batch;
    for (std::uint64_t after = 0;; after = batch.back().position) {
      if (auto err = entities.journal()->read_all(after, 1000, batch))
        throw std::runtime_error("cannot read the journal: " + dca::es::render(err));
      if (batch.empty())
        return ids;
      for (const auto& rec : batch)
        if (rec.entity.type == order::type_name)
          ids.push_back(rec.entity.key);
    }
  }
};

relay_keys keys_of(const run_space& space, const std::string& tag) {
  return {space.key(tag + "orders"), space.key(tag + "relay:position")};
}

/// Places every order through its entity, killing the relay where the seed says, then waits until
/// the relay published everything and shipping read it all; returns what shipping shipped.
std::vector<std::string> place_all(caf::scoped_actor& self, const order_world& world,
                                   const arguments& in, std::int64_t& crash_count) {
  auto on_error = [&](caf::error& e) {
    throw std::runtime_error("no answer in time: " + self->system().render(e));
  };
  for (std::int64_t s = 0; s < in.get("services"); ++s)
    for (std::int64_t k = 0; k < in.get("orders"); ++k) {
      auto id = "o" + std::to_string(s + 1) + "-" + std::to_string(k + 1);
      self->request(world.orders, reply_timeout, dca::es::command_atom::value, id,
                    order::command{place_order_command{order_cents}}, std::string{})
          .receive([](const dca::es::ack&) {}, on_error);
      if (crashes(in.seed().value_or(1), s, k, in.get("crash-percent"))) {
        self->send(world.relay, crash_atom::value);
        crash_count += 1;
      }
    }
  self->request(world.relay, reply_timeout, flush_atom::value)
      .receive([](std::uint64_t) {}, on_error);
  std::vector<std::string> shipped;
  self->request(world.shipping, reply_timeout, flush_atom::value)
      .receive([&](std::vector<std::string>& x) { shipped = std::move(x); }, on_error);
  return shipped;
}

run_result run_actors(const arguments& in, const progress_fn& progress) {
  auto space = make_run_space();
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  order_world world{system, space, keys_of(*space, "")};
  std::int64_t crash_count = 0;
  auto shipped = place_all(self, world, in, crash_count);
  progress(1.0);
  auto t = reconcile(world.placed(), shipped);
  auto out = judge(t, in.get("services") * in.get("orders"), crash_count,
                   "every order shipped exactly once", "orders shipped twice", in);
  auto redis = space->connect_redis("reconcile");
  auto published = orders_in_stream(redis, keys_of(*space, "").stream, "").size();
  auto repeats = static_cast<std::int64_t>(published) - static_cast<std::int64_t>(shipped.size());
  out.summary += "; the relay published " + with_commas(static_cast<std::int64_t>(published)) +
                 " events, shipping skipped " + with_commas(repeats) + " repeats";
  out.fields.emplace_back("events_published", std::to_string(published));
  return out;
}

// -- exploration ----------------------------------------------------------------------------------

/// One order service placing one order, PostgreSQL first, and kill -9 aimed at its process: every
/// order of the service's statements and the kill.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  auto space = make_run_space();
  auto schedules = std::make_shared<int>(0);
  // Connections outlive the schedules: connecting costs more than a schedule's statements.
  auto service = std::make_shared<std::pair<order_table, order_stream>>(
      order_table{*space, "service"}, order_stream{*space, "service", space->key("orders")});
  auto reconciler = std::make_shared<reconciling>(*space);
  auto make = [space, schedules, service, reconciler] {
    auto prefix = "s" + std::to_string((*schedules)++) + "-"; // fresh ids every schedule
    order_line order{prefix + "o1", order_cents};
    auto life = std::make_shared<process_life>();
    dca::explore::thread_execution exec;
    // [slide:kill]
    exec.threads.push_back({"service", [=] {
                              try {
                                place_order(service->first, service->second, *life, order);
                              } catch (const process_killed&) {
                                // the process is gone: what it wrote stays written
                              }
                            }});
    exec.threads.push_back({"kill -9", [life] { life->kill(); }});
    // [/slide:kill]
    exec.check = [space, prefix, reconciler](
                     const std::vector<dca::explore::step>&) -> std::optional<std::string> {
      auto t = reconcile(orders_in_table(reconciler->db, prefix),
                         orders_in_stream(reconciler->redis, space->key("orders"), prefix));
      if (t.clean())
        return std::nullopt;
      return "the service was killed between its two writes: " +
             tally_words(t, "events published twice");
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// A service places two orders through their entity while kill -9 hits the relay: every order in
/// which the entities, the relay (and its restart), shipping and the kill can handle their
/// messages.
dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto space = make_run_space();
  auto schedules = std::make_shared<int>(0);
  auto make = [space, schedules] {
    auto keys = keys_of(*space, "s" + std::to_string((*schedules)++) + ":");
    auto world = std::make_shared<std::unique_ptr<order_world>>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& w) {
      *world = std::make_unique<order_world>(w.system(), space, keys);
      w.name((*world)->orders, "orders");
      w.name((*world)->shipping, "shipping");
      w.name((*world)->relay, "relay");
      w.name(w.system().spawn([orders = (*world)->orders](caf::event_based_actor* self) {
        for (const char* id : {"o1", "o2"})
          self->request(orders, reply_timeout, dca::es::command_atom::value, std::string{id},
                        order::command{place_order_command{order_cents}}, std::string{})
              .then([](const dca::es::ack&) {});
      }),
             "service");
      w.name(w.system().spawn([relay = (*world)->relay](caf::event_based_actor* self) {
        self->send(relay, crash_atom::value);
      }),
             "kill -9");
    };
    ex.check = [=](dca::explore::actor_world& w) -> std::optional<std::string> {
      auto shipped = w.ask<std::vector<std::string>>((*world)->shipping, flush_atom::value);
      auto placed = (*world)->placed();
      world->reset(); // its journal subscription ends with this schedule
      if (!shipped)
        return "shipping did not answer: " + w.system().render(shipped.error());
      auto t = reconcile(placed, *shipped);
      if (t.clean())
        return std::nullopt;
      return "shipping's orders are not the journal's: " + tally_words(t, "orders shipped twice");
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
  ex.parameters = {
      {"services", 4, 1, 32,
       "how many order services run at once (every second one publishes first)"},
      {"orders", 250, 1, 100'000, "how many orders each service places"},
      {"crash-percent", 5, 0, 100,
       "how often a process is killed (%): a service between its writes, or the relay"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace dual_write
