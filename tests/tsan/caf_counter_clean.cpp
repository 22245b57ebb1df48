// A stateful CAF counter actor fed by two threads, one through a scoped_actor, one through
// anon_send, then read with a blocking request. Correct actor code: the tsan build must report
// nothing. Against an uninstrumented libcaf_core TSan reports dozens of false races here.
// Usage: caf_counter_clean [rounds] (default 3); each round has its own actor system.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <caf/all.hpp>

namespace {

using inc_atom = caf::atom_constant<caf::atom("inc")>;
using read_atom = caf::atom_constant<caf::atom("read")>;

struct counter_state {
  std::int64_t n = 0;
  static inline const char* name = "counter";
};

caf::behavior counter(caf::stateful_actor<counter_state>* self) {
  return {
    [self](inc_atom, std::int64_t x) { self->state.n += x; },
    [self](read_atom) { return self->state.n; },
  };
}

bool run_round(int round, int sends_per_thread) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto c = sys.spawn(counter);
  std::thread via_scoped{[&sys, &c, sends_per_thread] {
    caf::scoped_actor self{sys};
    for (int i = 0; i < sends_per_thread; ++i) {
      self->send(c, inc_atom::value, std::int64_t{1});
    }
  }};
  std::thread via_anon{[&c, sends_per_thread] {
    for (int i = 0; i < sends_per_thread; ++i) {
      caf::anon_send(c, inc_atom::value, std::int64_t{2});
    }
  }};
  via_scoped.join();
  via_anon.join();
  std::int64_t seen = -1;
  caf::scoped_actor self{sys};
  self->request(c, caf::infinite, read_atom::value)
    .receive([&seen](std::int64_t n) { seen = n; },
             [](caf::error& err) { std::cerr << "request failed: " << caf::to_string(err) << '\n'; });
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  const std::int64_t want = 3 * std::int64_t{sends_per_thread};
  std::cout << "round " << round << ": counter " << seen << " of " << want << '\n';
  return seen == want;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 3;
  bool ok = true;
  for (int r = 1; r <= rounds; ++r) {
    ok = run_round(r, 10000) && ok;
  }
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
