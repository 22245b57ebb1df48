// Exercise 01's harness: how `dca run 01` and `dca explore 01` drive both tracks and measure what
// was lost. Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/levels.hpp"
#include "dca/harness/seeded_yields.hpp"
#include "dca/harness/start_gate.hpp"

namespace lost_update {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

/// How long a whole real actor run may take before we call it stuck (a worker that never quits, a
/// counter that never replies). A correct run of 2 x 1,000,000 takes well under a second.
constexpr auto actor_run_timeout = std::chrono::seconds(30);

run_result judge(std::int64_t expected, std::int64_t actual, const arguments& in) {
  run_result r;
  r.corrupted = actual != expected;
  if (r.corrupted)
    r.summary = "the count is " + with_commas(actual) + ", expected " + with_commas(expected) +
                ": " + with_commas(expected - actual) + " increments lost";
  else
    r.summary = "the count is " + with_commas(actual) + ": every increment counted";
  r.fields = {{"threads", std::to_string(in.get("threads"))},
              {"increments", std::to_string(in.get("increments"))},
              {"expected", std::to_string(expected)},
              {"actual", std::to_string(actual)},
              {"lost_updates", std::to_string(expected - actual)}};
  return r;
}

run_result run_shared(const arguments& in, const progress_fn& progress) {
  const auto threads = in.get("threads");
  const auto increments = in.get("increments");
  shared_counter counter{"counter", 0};
  dca::harness::start_gate gate{threads};
  std::vector<std::thread> pool;
  for (std::int64_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      gate.pass();
      dca::harness::seeded_yields yields{in.seed(), static_cast<std::uint64_t>(t)};
      // Work in chunks so the first worker can report progress; the race is the same.
      constexpr std::int64_t chunk = 50'000;
      for (std::int64_t done = 0; done < increments; done += chunk) {
        add_many(counter, std::min(chunk, increments - done));
        if (t == 0)
          progress(static_cast<double>(std::min(done + chunk, increments)) / increments);
      }
    });
  }
  for (auto& worker_thread : pool)
    worker_thread.join();
  return judge(threads * increments, counter.load(), in);
}

run_result run_actors(const arguments& in, const progress_fn&) {
  const auto threads = in.get("threads");
  const auto increments = in.get("increments");
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  auto counter = spawn_counter(system);
  caf::scoped_actor self{system};
  std::vector<caf::actor> workers;
  for (std::int64_t t = 0; t < threads; ++t) {
    workers.push_back(system.spawn(worker, counter, increments));
    self->monitor(workers.back());
  }
  // A worker's messages are in the counter's mailbox before the worker is down, so a `get` sent
  // after every worker is down is answered after every increment.
  bool stuck = false;
  const auto deadline = std::chrono::steady_clock::now() + actor_run_timeout;
  auto time_left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  for (std::int64_t t = 0; t < threads && !stuck; ++t)
    self->receive([](const caf::down_msg&) {}, caf::after(time_left()) >> [&] { stuck = true; });
  std::int64_t actual = -1;
  std::string error;
  if (!stuck)
    self->request(counter, time_left(), get_atom::value)
        .receive([&](std::int64_t count) { actual = count; },
                 [&](caf::error& e) { error = system.render(e); });
  for (auto& w : workers)
    self->send_exit(w, caf::exit_reason::kill);
  self->send_exit(counter, caf::exit_reason::kill);
  if (stuck || !error.empty()) {
    run_result r;
    r.corrupted = true;
    r.summary = stuck ? "timed out after " + std::to_string(actor_run_timeout.count()) +
                            " s: a worker never quit (does worker() return an empty behavior?)"
                      : "the counter did not answer get: " + error;
    r.fields = {{"threads", std::to_string(threads)},
                {"increments", std::to_string(increments)},
                {"error", stuck ? "timeout" : "no_reply"}};
    return r;
  }
  return judge(threads * increments, actual, in);
}

/// Reads the trace the way a person would: two threads read the same value and wrote the same
/// successor, so one of the two increments vanished.
std::string explain_loss(const std::vector<dca::explore::step>& trace,
                         const std::vector<std::string>& names, std::int64_t expected,
                         std::int64_t actual) {
  std::vector<std::pair<int, std::string>> reads_then_writes; // (thread, value it read)
  std::map<int, std::string> last_read;
  for (const auto& s : trace) {
    if (s.operation == "load")
      last_read[s.actor] = s.value;
    else if (s.operation == "store" && last_read.count(s.actor))
      reads_then_writes.emplace_back(s.actor, last_read[s.actor]);
  }
  std::string tail =
      "expected " + with_commas(expected) + ", the counter holds " + with_commas(actual);
  for (std::size_t i = 0; i < reads_then_writes.size(); ++i)
    for (std::size_t j = i + 1; j < reads_then_writes.size(); ++j) {
      auto [a, va] = reads_then_writes[i];
      auto [b, vb] = reads_then_writes[j];
      if (b < a)
        std::swap(a, b);
      if (a != b && va == vb)
        return names[static_cast<std::size_t>(a)] + " and " + names[static_cast<std::size_t>(b)] +
               " both read " + va + " and both wrote " + std::to_string(std::stoll(va) + 1) +
               ": one increment lost (" + tail + ")";
    }
  return with_commas(expected - actual) + " increments lost (" + tail + ")";
}

/// Two threads, one increment each: the smallest program that loses an update.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  constexpr std::int64_t increments = 1;
  const std::vector<std::string> names{"T1", "T2"};
  auto make = [&] {
    auto counter = std::make_shared<shared_counter>("counter", 0);
    dca::explore::thread_execution exec;
    for (const auto& name : names)
      exec.threads.push_back({name, [counter] { add_many(*counter, increments); }});
    exec.check = [counter, names](
                     const std::vector<dca::explore::step>& trace) -> std::optional<std::string> {
      const std::int64_t expected = increments * static_cast<std::int64_t>(names.size());
      const std::int64_t actual = counter->load();
      if (actual == expected)
        return std::nullopt;
      return explain_loss(trace, names, expected, actual);
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// Two workers, three increments each: every order in which the counter could receive them.
constexpr std::int64_t explored_increments = 3;
constexpr std::int64_t explored_workers = 2;

dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto make = [] {
    auto counter = std::make_shared<caf::actor>();
    dca::explore::actor_execution exec;
    exec.start = [counter](dca::explore::actor_world& world) {
      *counter = spawn_counter(world.system());
      world.name(*counter, "counter");
      for (std::int64_t w = 1; w <= explored_workers; ++w)
        world.name(world.system().spawn(worker, *counter, explored_increments),
                   "W" + std::to_string(w));
    };
    exec.check = [counter](dca::explore::actor_world& world) -> std::optional<std::string> {
      const std::int64_t expected = explored_workers * explored_increments;
      auto count = world.ask<std::int64_t>(*counter, get_atom::value);
      if (!count)
        return "the counter did not answer get: " + world.system().render(count.error());
      if (*count == expected)
        return std::nullopt;
      return "the count is " + std::to_string(*count) + ", expected " + std::to_string(expected) +
             ": " + std::to_string(expected - *count) + " increments lost";
    };
    return exec;
  };
  return dca::explore::explore_actors(make, opts);
}

// -- one failure at every level (dca explore 01 --levels) -----------------------------------------

/// The count's owner at the actor and node levels: the harness's own, answering get, set and inc as
/// the solution's counter does, so the levels show the same thing whatever message_passing.cpp
/// holds. Every request is answered with the count, so a link can carry any of them back.
struct level_count {
  std::int64_t count = 0;
};

caf::behavior level_counter(caf::stateful_actor<level_count>* self) {
  return {
      [=](get_atom) -> std::int64_t { return self->state.count; },
      [=](set_atom, std::int64_t value) -> std::int64_t { return self->state.count = value; },
      [=](inc_atom) -> std::int64_t { return self->state.count += 1; }, // the fix: one message
  };
}

/// A client that reads the count with one message and writes its successor with another: between
/// the two, the other client's get can be answered with the same count.
caf::behavior split_client(caf::event_based_actor* self, caf::actor target) {
  self->request(target, caf::infinite, get_atom::value).then([=](std::int64_t seen) {
    self->request(target, caf::infinite, set_atom::value, seen + 1).then([](std::int64_t) {});
  });
  return {};
}

/// The fix: one message, and the counter does the read and the write in one handler.
caf::behavior inc_client(caf::event_based_actor* self, caf::actor target) {
  self->request(target, caf::infinite, inc_atom::value).then([](std::int64_t) {});
  return {};
}

dca::harness::level_cast counter_cast(bool fixed) {
  dca::harness::level_cast cast;
  cast.owner_name = "counter";
  cast.spawn_owner = [](caf::actor_system& sys) { return sys.spawn(level_counter); };
  cast.spawn_client = [fixed](caf::actor_system& sys, const caf::actor& target, int) {
    return fixed ? sys.spawn(inc_client, target) : sys.spawn(split_client, target);
  };
  cast.link = [](caf::event_based_actor* self, const caf::actor& to) -> caf::behavior {
    using dca::harness::link_hop;
    return {link_hop<get_atom>(self, to), link_hop<set_atom, std::int64_t>(self, to),
            link_hop<inc_atom>(self, to)};
  };
  cast.check = [clients = cast.clients](dca::explore::actor_world& world,
                                        const caf::actor& counter) -> std::optional<std::string> {
    auto count = world.ask<std::int64_t>(counter, get_atom::value);
    if (!count)
      return "the counter did not answer get: " + world.system().render(count.error());
    if (*count == clients)
      return std::nullopt;
    return "the count is " + std::to_string(*count) + ", expected " + std::to_string(clients) +
           ": " + std::to_string(clients - *count) + " increment lost (both clients read " +
           std::to_string(*count - 1) + " and wrote " + std::to_string(*count) + ")";
  };
  return cast;
}

} // namespace

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {
      {"threads", 2, 1, 64, "how many workers add to the count"},
      {"increments", 1'000'000, 1, 100'000'000, "how many times each worker adds one"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  ex.levels = dca::harness::every_level(explore_shared, counter_cast);
  return ex;
}

} // namespace lost_update
