// The start gate of real runs: a spinning barrier that counts arrivals over all rounds.
#include "dca/harness/start_gate.hpp"

#include <thread>

#include "dca/assert.hpp"

namespace dca::harness {

start_gate::start_gate(std::int64_t parties) : parties_(parties) {
  DCA_ASSERT(parties_ > 0);
}

void start_gate::pass() {
  // The n-th arrival (from 0) belongs to round n / parties_, which is open once every party of it
  // has arrived.
  auto round = arrived_.fetch_add(1) / parties_;
  while (arrived_.load() < (round + 1) * parties_)
    std::this_thread::yield();
}

} // namespace dca::harness
