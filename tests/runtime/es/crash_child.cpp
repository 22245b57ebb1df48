// The process the crash test kills: it runs the bank on a SQLite journal with a balances
// projection, and prints one line per acknowledged command ("ack KEY SEQ POSITION") until it is
// killed with SIGKILL. Usage: es_crash_child JOURNAL READ_MODEL SEED
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "dca/es/entity_host.hpp"
#include "dca/es/projection.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "dca/examples/bank.hpp"

using namespace dca::es;
using namespace dca::examples::bank;

namespace {

constexpr int accounts_max = 10;
constexpr int clients_max = 8;

void print_ack(const std::string& key, const ack& a) {
  // One write per line: lines up to PIPE_BUF are never interleaved in a pipe.
  auto line = "ack " + key + " " + std::to_string(a.seq) + " " + std::to_string(a.position) + "\n";
  if (::write(STDOUT_FILENO, line.data(), line.size()) < 0)
    std::_Exit(3);
}

void client_loop(caf::event_based_actor* self, caf::actor accounts, std::mt19937_64 rng) {
  auto key = "a" + std::to_string(rng() % accounts_max);
  account::command cmd = deposit{static_cast<std::int64_t>(1 + rng() % 100)};
  if (rng() % 3 == 0)
    cmd = withdraw{static_cast<std::int64_t>(1 + rng() % 50)};
  self->request(accounts, std::chrono::seconds{30}, command_atom::value, key, cmd, std::string{})
      .then(
          [=](const ack& a) {
            print_ack(key, a);
            client_loop(self, accounts, rng);
          },
          [=](caf::error&) { client_loop(self, accounts, rng); }); // e.g. insufficient funds
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: es_crash_child JOURNAL READ_MODEL SEED\n");
    return 2;
  }
  auto seed = std::strtoull(argv[3], nullptr, 10);
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto journal = sqlite_journal::open(argv[1]);
  if (!journal) {
    std::fprintf(stderr, "%s\n", render(journal.error()).c_str());
    return 1;
  }
  entity_options opts;
  opts.snapshot_every = 25;
  auto accounts = spawn_entity_host<account>(sys, *journal, opts);
  projection_options popts;
  popts.read_model_path = argv[2];
  popts.batch_events_max = 7; // many small read-model transactions: more moments to be killed in
  auto proj = spawn_projection(sys, *journal, std::make_shared<balances_projection>(), popts);
  if (!proj) {
    std::fprintf(stderr, "%s\n", render(proj.error()).c_str());
    return 1;
  }
  {
    caf::scoped_actor self{sys};
    for (int i = 0; i < accounts_max; ++i) {
      auto key = "a" + std::to_string(i);
      self->request(accounts, std::chrono::seconds{30}, command_atom::value, key,
                    account::command{open_account{key}}, std::string{})
          .receive([&](const ack& a) { print_ack(key, a); },
                   [&](caf::error& err) {
                     std::fprintf(stderr, "%s\n", render(err).c_str());
                     std::_Exit(1);
                   });
    }
  }
  for (int i = 0; i < clients_max; ++i) {
    std::mt19937_64 rng{seed * 1000 + static_cast<std::uint64_t>(i)};
    sys.spawn([=](caf::event_based_actor* self) { client_loop(self, accounts, rng); });
  }
  for (;;)
    std::this_thread::sleep_for(std::chrono::hours{1}); // until SIGKILL
}
