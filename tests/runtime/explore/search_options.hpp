// The options the explorer's tests search with, in one place: a strategy with a bound (none by
// default), and the replay of one schedule.
#pragma once

#include "dca/explore/options.hpp"

namespace dca::explore::test {

inline options with(strategy s, int bound = -1) {
  options opts;
  opts.search = s;
  opts.preemptions_max = bound;
  return opts;
}

inline options replaying(schedule s) {
  options opts;
  opts.replay = std::move(s);
  return opts;
}

} // namespace dca::explore::test
