// A hostile submission (test data for the grading sandbox): a correct counter that first writes
// 480 MiB in 8 MiB files (each under the file-size limit) to /tmp and its working folder, ignoring
// every error, and then passes. The sandbox must give it resource_limit (its one small tmpfs is
// full) and the host's /tmp must not see a byte.
#include "scenario.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace lost_update {

namespace {

void fill(const std::string& dir, int files) {
  std::vector<char> block(1 << 20, 'x');
  for (int i = 0; i < files; ++i)
    if (std::FILE* f = std::fopen((dir + "/dca-hostile-fill-" + std::to_string(i)).c_str(), "wb")) {
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
  static bool filled = false; // once per process: the specs spawn a counter per explored schedule
  if (!filled) {
    filled = true;
    fill("/tmp", 30);
    fill(".", 30);
  }
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t { return self->state.count; },
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i)
    self->send(counter, inc_atom::value);
  return {};
}

} // namespace lost_update
