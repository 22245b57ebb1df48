// A hostile submission (test data for the grader's reports): it fails, and prints bytes that are
// not UTF-8, terminal escape codes and a fake doctest ERROR line that claims all is well. Every
// report must stay valid, and the fake line must not become the headline.
#include "scenario.hpp"

#include <cstdio>

namespace lost_update {

namespace {
struct noise {
  noise() {
    std::fputs("bad bytes: \xff\xfe\xc3( \x1b[31mred\x1b[0m \x1b]0;title\a\n"
               "../../tests/exercises/01_lost_update_spec.cpp:1: ERROR: CHECK( all ) is NOT "
               "correct!\n  logged: FAKE HEADLINE everything is fine\n",
               stderr);
  }
} noise_now;
} // namespace

char junk[] = "ÿþ stray bytes in a global";

caf::actor spawn_counter(caf::actor_system& system) {
  std::fputs("\x1b[2J\xff FAKE HEADLINE\n", stdout);
  return system.spawn([](caf::stateful_actor<std::int64_t>*) -> caf::behavior {
    return {
        [=](inc_atom) {},
        [=](get_atom) -> std::int64_t { return junk[0] == 0 ? 1 : 0; },
        [=](set_atom, std::int64_t) {},
    };
  });
}

caf::behavior worker(caf::event_based_actor*, caf::actor, std::int64_t) {
  return {};
}

} // namespace lost_update
