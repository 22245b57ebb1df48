// A hostile submission (test data for the grading sandbox): a correct counter that first forks
// three children which each touch 1 GiB and hold it for a few seconds (each under the 4 GiB
// per-process address-space limit, together over the slot's 2 GiB), then passes. The slot's
// memory cgroup must OOM-kill one, and the verdict must be resource_limit (memory).
#include "scenario.hpp"

#include <cstring>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lost_update {

namespace {

void hold_memory_in_three_children() {
  pid_t children[3] = {};
  for (auto& child : children)
    if ((child = fork()) == 0) {
      // mmap, not malloc: the parent has threads, so the child makes system calls only.
      constexpr std::size_t gib = 1ull << 30;
      void* p = mmap(nullptr, gib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED)
        std::memset(p, 1, gib);
      sleep(2); // holds it while its siblings touch theirs (under a second each)
      _exit(0);
    }
  for (auto child : children)
    if (child > 0)
      waitpid(child, nullptr, 0);
}

} // namespace

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  static bool once = (hold_memory_in_three_children(), true); // the first counter only
  (void)once;
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
