// A hostile submission (test data for the grading sandbox): fills /tmp without a word (every
// write error ignored, nothing printed) and then hangs. The run ends at the wall clock, but the
// cause is the full disk: the report must say resource_limit (disk full), not timeout.
#include "scenario.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace lost_update {

namespace {

void fill_silently(const std::string& dir) {
  std::vector<char> block(1 << 20, 'x');
  for (int i = 0; i < 30; ++i)
    if (std::FILE* f = std::fopen((dir + "/dca-hostile-hang-" + std::to_string(i)).c_str(), "wb")) {
      for (int mib = 0; mib < 8; ++mib)
        std::fwrite(block.data(), 1, block.size(), f);
      std::fclose(f);
    }
}

} // namespace

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  fill_silently("/tmp");
  for (;;)
    std::this_thread::sleep_for(std::chrono::seconds(1));
  return system.spawn([](caf::stateful_actor<counter_state>*) -> caf::behavior { return {}; });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i)
    self->send(counter, inc_atom::value);
  return {};
}

} // namespace lost_update
