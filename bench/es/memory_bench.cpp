// B2: memory per activated idle entity. Each variant runs in its own child process (forked before
// any actor system exists), so freed memory of one cannot flatter the next; resident memory is
// read after malloc_trim, so memory the allocator keeps but no longer uses does not count:
//   raw CAF actors        N stateful actors holding an account_state, spawned and idle
//   running entities      N bank accounts activated through their host (get_atom) over the
//                         memory journal, hibernation off: the actor, its shell, the host's entry
//   hibernated entities   the same, activated in waves of 10,000, each wave left to hibernate
//                         (hibernate_after 20 ms): the image and the host's entry; then one
//                         command to each wakes it from its image (the wake rate)
// Flags: --entities=500000 (the README figure used --entities=1000000)
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <thread>

#include "bench_support.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/examples/bank.hpp"

using namespace dca::es;
using namespace dca::examples::bank;
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

/// Resident bytes once the allocator has returned what it no longer uses.
std::size_t trimmed_rss() {
  ::malloc_trim(0);
  return rss_bytes();
}

/// Activates `keys[from, to)` through `host` with a get each, at most 1,000 in flight.
void activate(caf::scoped_actor& self, const caf::actor& host, const std::vector<std::string>& keys,
              std::size_t from, std::size_t to) {
  constexpr std::size_t window = 1000;
  for (std::size_t i = from; i < to; i += window) {
    auto end = std::min(to, i + window);
    for (std::size_t k = i; k < end; ++k)
      self->send(host, get_atom::value, keys[k]);
    for (std::size_t k = i; k < end; ++k)
      self->receive([](account_state&) {}, [](caf::error&) {});
  }
}

entity_host_stats stats(caf::scoped_actor& self, const caf::actor& host) {
  entity_host_stats result;
  self->request(host, caf::infinite, stats_atom::value)
      .receive([&](entity_host_stats& s) { result = s; }, [](caf::error&) { std::exit(1); });
  return result;
}

/// A bank-account host over a memory journal that never passivates (we measure idle entities).
caf::actor spawn_accounts(caf::actor_system& sys, std::chrono::milliseconds hibernate_after) {
  entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{0};
  opts.hibernate_after = hibernate_after;
  return spawn_entity_host<account>(sys, std::make_shared<memory_journal>(), opts);
}

caf::actor_system_config& config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 2);
  return cfg;
}

std::vector<std::string> make_keys(std::size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    keys.push_back("account-" + std::to_string(i));
  return keys;
}

/// Bytes per raw CAF actor with an account's state, started with one message each.
double raw_actor_bytes(std::size_t n) {
  caf::actor_system_config cfg;
  caf::actor_system sys{config(cfg)};
  std::vector<caf::actor> actors;
  actors.reserve(n);
  auto before = trimmed_rss();
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
  auto raw_rate = static_cast<double>(n) / seconds_since(t0);
  std::printf("  raw CAF actors: %.0f spawns+first message/s\n", raw_rate);
  std::fflush(stdout);
  return static_cast<double>(trimmed_rss() - before) / static_cast<double>(n);
}

/// Bytes per running entity (hibernation off), activated with one message each.
double running_entity_bytes(std::size_t n) {
  caf::actor_system_config cfg;
  caf::actor_system sys{config(cfg)};
  auto host = spawn_accounts(sys, std::chrono::milliseconds{0}); // hibernation off
  caf::scoped_actor self{sys};
  auto keys = make_keys(n);
  auto before = trimmed_rss();
  auto t0 = clock_type::now();
  activate(self, host, keys, 0, n);
  std::printf("  running entities: %.0f activations/s\n",
              static_cast<double>(n) / seconds_since(t0));
  std::fflush(stdout);
  auto per = static_cast<double>(trimmed_rss() - before) / static_cast<double>(n);
  self->send_exit(host, caf::exit_reason::user_shutdown);
  return per;
}

/// Bytes per hibernated entity; then the rate at which the first ones wake for a command.
double hibernated_entity_bytes(std::size_t n) {
  caf::actor_system_config cfg;
  caf::actor_system sys{config(cfg)};
  auto host = spawn_accounts(sys, std::chrono::milliseconds{20});
  caf::scoped_actor self{sys};
  auto keys = make_keys(n);
  auto before = trimmed_rss();
  constexpr std::size_t wave = 10'000;
  for (std::size_t i = 0; i < n; i += wave) {
    activate(self, host, keys, i, std::min(n, i + wave));
    while (stats(self, host).running > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  auto s = stats(self, host);
  if (s.hibernated != n) {
    std::fprintf(stderr, "error: %llu of %zu entities hibernated\n",
                 static_cast<unsigned long long>(s.hibernated), n);
    std::exit(1);
  }
  auto per = static_cast<double>(trimmed_rss() - before) / static_cast<double>(n);
  // Waking: one command each to the first entities, from their images.
  auto woken = std::min<std::size_t>(n, 100'000);
  auto t0 = clock_type::now();
  constexpr std::size_t window = 1000;
  for (std::size_t i = 0; i < woken; i += window) {
    auto end = std::min(woken, i + window);
    for (std::size_t k = i; k < end; ++k)
      self->send(host, command_atom::value, keys[k], account::command{open_account{"x"}},
                 std::string{});
    for (std::size_t k = i; k < end; ++k)
      self->receive([](ack&) {},
                    [](caf::error& err) {
                      std::fprintf(stderr, "error: %s\n", render(err).c_str());
                      std::exit(1);
                    });
  }
  std::printf("  hibernated entities: %.0f wakes+command/s\n",
              static_cast<double>(woken) / seconds_since(t0));
  std::fflush(stdout);
  self->send_exit(host, caf::exit_reason::user_shutdown);
  return per;
}

} // namespace

int main(int argc, char** argv) {
  flags f{argc, argv, "bench_es_memory"};
  auto n = static_cast<std::size_t>(f.number("entities", 500'000));
  f.done();
  std::printf("B2 memory per idle activated entity, %zu of each, one process per variant\n", n);
  auto raw = in_child([n] { return raw_actor_bytes(n); });
  auto running = in_child([n] { return running_entity_bytes(n); });
  auto hibernated = in_child([n] { return hibernated_entity_bytes(n); });
  row("entity, hibernated: resident bytes per idle entity", hibernated, "B",
      "raw CAF actor with the same state", raw, "(target <= 1024 B)");
  row("entity, running (hibernation off): bytes per idle entity", running, "B",
      "raw CAF actor with the same state", raw, "");
}
