// The seeded random search of an exercise spec: which seed (DCA_SEED, as `dca grade` sets it, or
// 1), the explorer's options for it, and the words that replay a failure. The same seed explores
// the same delivery orders, so a failing verdict comes back with it, every time.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "dca/explore/options.hpp"
#include "dca/explore/report.hpp"

namespace dca::spec {

/// Random delivery orders a spec explores per seed: enough for a two-step race, still well under
/// a second for every exercise.
constexpr std::uint64_t random_schedules_max = 2'000;

/// DCA_SEED from the environment (a decimal number), or 1.
inline std::uint64_t seed() {
  const char* text = std::getenv("DCA_SEED");
  if (text == nullptr || *text == '\0')
    return 1;
  char* end = nullptr;
  auto value = std::strtoull(text, &end, 10);
  return *end == '\0' ? value : 1;
}

/// The wall-clock bound of a spec's search: far above what it needs, because a search cut short by
/// a slow machine would pass by luck what a fast one fails.
constexpr std::chrono::minutes search_time_limit{10};

/// The systematic search (every delivery order within the default preemption bound).
inline dca::explore::options every_order() {
  dca::explore::options opts;
  opts.time_limit = search_time_limit;
  return opts;
}

/// A PCT search of random_schedules_max delivery orders from `seed()`.
inline dca::explore::options random_search() {
  auto opts = every_order();
  opts.search = dca::explore::strategy::random;
  opts.seed = seed();
  opts.schedules_max = random_schedules_max;
  return opts;
}

/// "<verdict> (seed 7; dca explore NN --variant actors --replay 0.1.2)": what broke, and the
/// command that runs the same delivery order again.
inline std::string replay_words(const dca::explore::report& r, const std::string& number) {
  auto what = r.verdict;
  if (r.result == dca::explore::outcome::deadlock) {
    what = "deadlock:";
    for (const auto& line : r.cycle)
      what += (what.back() == ':' ? " " : ", ") + line;
  }
  return what + " (seed " + std::to_string(seed()) + "; dca explore " + number +
         " --variant actors --replay " + r.failing_schedule.to_string() + ")";
}

} // namespace dca::spec
