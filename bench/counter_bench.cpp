// The counter of exercise 01 four ways, measured side by side in one run on real threads: the racy
// split load/store (fast and wrong), std::atomic fetch_add, a std::mutex, and a counter actor.
// Prints increments per second (median of --repeat runs, with min-max) and what each one lost.
#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "caf/all.hpp"

#include "dca/shared.hpp"

namespace po = boost::program_options;

namespace {

using inc_atom = caf::atom_constant<caf::atom("inc")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct sample {
  double seconds = 0;
  std::int64_t lost = 0;
};

/// Runs `body(thread_index)` on `threads` threads released together; returns the wall time.
double timed_threads(int threads, const std::function<void(int)>& body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  std::chrono::steady_clock::time_point t0;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      if (ready.fetch_add(1) + 1 == threads)
        t0 = std::chrono::steady_clock::now();
      while (ready.load() < threads)
        std::this_thread::yield();
      body(t);
    });
  for (auto& th : pool)
    th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

sample racy(int threads, std::int64_t n) {
  dca::shared<std::int64_t> counter{"counter", 0};
  double s = timed_threads(threads, [&](int) {
    for (std::int64_t i = 0; i < n; ++i)
      counter.store(counter.load() + 1);
  });
  return {s, threads * n - counter.load()};
}

sample atomic(int threads, std::int64_t n) {
  std::atomic<std::int64_t> counter{0};
  double s = timed_threads(threads, [&](int) {
    for (std::int64_t i = 0; i < n; ++i)
      counter.fetch_add(1, std::memory_order_relaxed);
  });
  return {s, threads * n - counter.load()};
}

sample locked(int threads, std::int64_t n) {
  std::mutex m;
  std::int64_t counter = 0;
  double s = timed_threads(threads, [&](int) {
    for (std::int64_t i = 0; i < n; ++i) {
      std::lock_guard<std::mutex> guard{m};
      ++counter;
    }
  });
  return {s, threads * n - counter};
}

sample actor(caf::actor_system& system, int threads, std::int64_t n) {
  struct state {
    std::int64_t count = 0;
  };
  auto counter = system.spawn([](caf::stateful_actor<state>* self) -> caf::behavior {
    return {[=](inc_atom) { self->state.count += 1; }, [=](get_atom) { return self->state.count; }};
  });
  std::int64_t final_count = 0;
  double s = timed_threads(threads, [&](int) {
    for (std::int64_t i = 0; i < n; ++i)
      caf::anon_send(counter, inc_atom::value);
  });
  // The senders are done; the time that counts ends when the actor has applied every increment.
  auto t0 = std::chrono::steady_clock::now();
  caf::scoped_actor self{system};
  self->request(counter, std::chrono::minutes(5), get_atom::value)
      .receive([&](std::int64_t c) { final_count = c; },
               [&](caf::error& e) { std::cerr << "get failed: " << system.render(e) << '\n'; });
  s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  self->send_exit(counter, caf::exit_reason::user_shutdown);
  return {s, threads * n - final_count};
}

void report(const std::string& name, const std::vector<sample>& runs, double total) {
  std::vector<double> rates;
  for (auto& r : runs)
    rates.push_back(total / r.seconds / 1e6);
  std::sort(rates.begin(), rates.end());
  std::int64_t lost = 0;
  for (auto& r : runs)
    lost = std::max(lost, r.lost);
  std::cout << std::left << std::setw(28) << name << std::right << std::fixed
            << std::setprecision(1) << std::setw(10) << rates[rates.size() / 2] << "   "
            << std::setw(6) << rates.front() << " - " << std::setw(6) << rates.back()
            << std::setw(14) << lost << '\n';
}

} // namespace

int main(int argc, char** argv) {
  int threads = 2;
  std::int64_t increments = 2'000'000;
  int repeat = 5;
  po::options_description desc{"Usage: counter_bench [options]"};
  desc.add_options()("help,h", "show this help")(
      "threads", po::value(&threads)->default_value(threads), "threads (or sending threads)")(
      "increments", po::value(&increments)->default_value(increments), "increments per thread")(
      "repeat", po::value(&repeat)->default_value(repeat), "runs per variant; the median is shown");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return 0;
    }
    if (threads < 1 || increments < 1 || repeat < 1)
      throw po::error("--threads, --increments and --repeat must be at least 1");
  } catch (const po::error& e) {
    std::cerr << "counter_bench: " << e.what() << '\n';
    return 2;
  }
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  const double total = static_cast<double>(threads) * static_cast<double>(increments);
  std::cout << "counter: " << threads << " threads x " << increments << " increments, " << repeat
            << " runs each, on " << std::thread::hardware_concurrency() << " cores\n\n"
            << std::left << std::setw(28) << "variant" << std::right << std::setw(10) << "M inc/s"
            << "   " << std::setw(15) << "min - max" << std::setw(14) << "max lost" << '\n';
  std::vector<sample> runs;
  auto measure = [&](const std::string& name, const std::function<sample()>& f) {
    runs.clear();
    for (int i = 0; i < repeat; ++i)
      runs.push_back(f());
    report(name, runs, total);
  };
  measure("racy load/store (wrong)", [&] { return racy(threads, increments); });
  measure("std::atomic fetch_add", [&] { return atomic(threads, increments); });
  measure("std::mutex", [&] { return locked(threads, increments); });
  measure("counter actor (CAF)", [&] { return actor(system, threads, increments); });
  return 0;
}
