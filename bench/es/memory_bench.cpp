// B2: memory per activated idle entity. Each variant runs in its own child process (forked before
// any actor system exists), so freed memory of one cannot flatter the next:
//   raw CAF actors   N stateful actors holding an account_state, spawned and idle
//   entities         N bank accounts activated through their host (get_atom) over the memory
//                    journal, idle: the actor, its state shell and the host's directory entry
// Flags: --entities=500000 (the README figure used --entities=1000000, about 75 s)
#include <sys/wait.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "bench_support.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/examples/bank.hpp"
#include "dca/es/memory_journal.hpp"

using namespace dca::es;
using namespace dca::es::bank;
using namespace dca::es::bench;

namespace {

struct raw_state {
  account_state value;
  static inline const char* name = "raw_account";
};

caf::behavior raw_account(caf::stateful_actor<raw_state>* self) {
  return {[self](get_atom) { return self->state.value; }};
}

/// Runs `fn` in a child process; returns the double it writes back.
template <class F>
double in_child(F fn) {
  std::fflush(stdout);
  int fds[2];
  if (::pipe(fds) != 0)
    std::exit(1);
  auto pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    double x = fn();
    if (::write(fds[1], &x, sizeof(x)) != sizeof(x))
      std::_Exit(1);
    std::_Exit(0);
  }
  ::close(fds[1]);
  double x = 0;
  if (::read(fds[0], &x, sizeof(x)) != sizeof(x))
    std::exit(1);
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return x;
}

caf::actor_system_config& config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 2);
  return cfg;
}

} // namespace

int main(int argc, char** argv) {
  auto n = static_cast<std::size_t>(flag(argc, argv, "entities", 500'000));
  std::printf("B2 memory per idle activated entity, %zu of each, one process per variant\n", n);
  double raw_rate = 0;
  auto raw = in_child([&] {
    caf::actor_system_config cfg;
    caf::actor_system sys{config(cfg)};
    std::vector<caf::actor> actors;
    actors.reserve(n);
    auto before = rss_bytes();
    auto t0 = clock_type::now();
    for (std::size_t i = 0; i < n; ++i)
      actors.push_back(sys.spawn(raw_account));
    caf::scoped_actor self{sys};
    constexpr std::size_t window = 1000; // every actor starts and handles one message
    for (std::size_t i = 0; i < n; i += window) {
      auto end = std::min(n, i + window);
      for (std::size_t k = i; k < end; ++k)
        self->send(actors[k], get_atom::value);
      for (std::size_t k = i; k < end; ++k)
        self->receive([](account_state&) {}, [](caf::error&) {});
    }
    raw_rate = static_cast<double>(n) / seconds_since(t0);
    std::printf("  raw CAF actors: %.0f spawns+first message/s\n", raw_rate);
    std::fflush(stdout);
    return static_cast<double>(rss_bytes() - before) / static_cast<double>(n);
  });
  auto entity = in_child([&] {
    caf::actor_system_config cfg;
    caf::actor_system sys{config(cfg)};
    auto journal = std::make_shared<memory_journal>();
    entity_options opts;
    opts.idle_timeout = std::chrono::milliseconds{0}; // stay active: we measure idle entities
    auto host = spawn_entity_host<account>(sys, journal, opts);
    caf::scoped_actor self{sys};
    std::vector<std::string> keys;
    keys.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      keys.push_back("account-" + std::to_string(i));
    auto before = rss_bytes();
    auto t0 = clock_type::now();
    constexpr std::size_t window = 1000; // requests in flight at once
    for (std::size_t i = 0; i < n; i += window) {
      auto end = std::min(n, i + window);
      for (std::size_t k = i; k < end; ++k)
        self->send(host, get_atom::value, keys[k]);
      for (std::size_t k = i; k < end; ++k)
        self->receive([](account_state&) {}, [](caf::error&) {});
    }
    std::printf("  entities: %.0f activations/s\n", static_cast<double>(n) / seconds_since(t0));
    std::fflush(stdout);
    auto per = static_cast<double>(rss_bytes() - before) / static_cast<double>(n);
    self->send_exit(host, caf::exit_reason::user_shutdown);
    return per;
  });
  row("entity: resident bytes per idle entity", entity, "B", "raw CAF actor with the same state",
      raw, "(target <= 1024 B)");
}
