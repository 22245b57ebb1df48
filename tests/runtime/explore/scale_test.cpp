// The thread explorer at scale: a program of 100 threads and thousands of steps explored with PCT
// in bounded memory (OS threads are reused across schedules, so a search does not start 100 new
// ones per schedule), and its failing schedule printed one line per step instead of 100 columns.
#include "dca/explore/explorer.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <memory>
#include <sstream>
#include <string>

#include "dca/shared.hpp"

using namespace dca::explore;

namespace {

constexpr int threads = 100;
constexpr int adds_per_thread = 15;

/// `threads` threads that each add to a shared total `adds_per_thread` times, with fetch_add
/// (correct) or a load and a store (an update can be lost).
thread_execution_factory many_adders(bool atomic) {
  return [atomic] {
    auto total = std::make_shared<dca::shared<long>>("total", 0);
    thread_execution exec;
    for (int t = 0; t < threads; ++t)
      exec.threads.push_back({"T" + std::to_string(t), [total, atomic] {
                                for (int i = 0; i < adds_per_thread; ++i)
                                  if (atomic)
                                    total->fetch_add(1);
                                  else
                                    total->store(total->load() + 1);
                              }});
    exec.check = [total](const std::vector<step>&) -> std::optional<std::string> {
      if (total->load() == threads * adds_per_thread)
        return std::nullopt;
      return "total is " + std::to_string(total->load()) + ": updates were lost";
    };
    return exec;
  };
}

options pct(std::uint64_t schedules) {
  options opts;
  opts.search = strategy::random;
  opts.pct_depth = 3;
  opts.seed = 7;
  opts.schedules_max = schedules;
  return opts;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

} // namespace

TEST_CASE("a 100-thread program of 1500 steps is explored with PCT in bounded memory") {
  auto r = explore_threads(many_adders(true), pct(30));
  CHECK(r.result == outcome::clean);
  CHECK(r.schedules_explored == 30);
  CHECK(r.stopped_by == "budget");
  CHECK(proof_text(r) == "not proven: budget reached after 30 schedules");
  auto rss = peak_rss_kib();
  MESSAGE("100 threads x " << adds_per_thread << " steps, 30 PCT schedules in "
                           << duration_text(r.elapsed) << ", peak RSS " << rss / 1024 << " MiB");
  CHECK(rss < 512 * 1024);
}

TEST_CASE("a lost update among 100 threads is found by PCT and printed one line per step") {
  auto r = explore_threads(many_adders(false), pct(30));
  REQUIRE(r.result == outcome::invariant_broken);
  CHECK(r.actors.size() == threads);
  std::ostringstream table;
  print_table(table, r, "replay with");
  auto text = table.str();
  CHECK(text.find("100 threads, " + std::to_string(r.trace.size()) + " steps: one line per step") !=
        std::string::npos);
  CHECK(text.find("steps are left out") != std::string::npos);
  // One line per step shown, not one column per thread: no line is wider than a terminal's few.
  std::istringstream lines{text};
  std::size_t widest = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("replay", 0) != 0)
      widest = std::max(widest, line.size());
  CHECK(widest < 120);
  options again;
  again.replay = r.failing_schedule;
  CHECK(explore_threads(many_adders(false), again).verdict == r.verdict);
}
