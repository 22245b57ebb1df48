// A hostile submission (test data for the grader's verdicts): signal handlers and a terminate
// handler turn a crash into _Exit(0), and the counter crashes on its first message. It must not
// pass.
#include "scenario.hpp"

#include <csignal>
#include <cstdlib>
#include <exception>

namespace lost_update {

namespace {
void leave(int) { std::_Exit(0); }
struct hide_crashes {
  hide_crashes() {
    for (int s : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
      std::signal(s, leave);
    std::set_terminate([] { std::_Exit(0); });
  }
} hide_crashes_now;
volatile int* nowhere = nullptr;
} // namespace

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<std::int64_t>*) -> caf::behavior {
    return {
        [=](inc_atom) { *nowhere = 1; },
        [=](get_atom) -> std::int64_t { return *nowhere; },
        [=](set_atom, std::int64_t) {},
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t) {
  self->send(counter, inc_atom::value);
  return {};
}

} // namespace lost_update
