// The cart example, start to finish: a SQLite journal, the cart entity's host, a projection into a
// read model, a few commands (one refused by the domain), a read-your-writes query, and a clean
// exit. Run: cart_example DIR (the journal and the read model go into DIR, created if absent).
// runtime/README.md's snippets are taken from this file.
#include <filesystem>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "dca/es/actor_owner.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/projection.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "dca/examples/cart.hpp"

using namespace std::chrono_literals;
using dca::examples::cart::cart;

namespace {

/// Sends one command to the host and waits for its ack; prints what happened.
caf::expected<dca::es::ack> send_command(caf::scoped_actor& self, const caf::actor& carts,
                                         const std::string& key, cart::command cmd,
                                         const std::string& idempotency_key) {
  caf::expected<dca::es::ack> result{caf::error{}};
  self->request(carts, 5s, dca::es::command_atom::value, key, std::move(cmd), idempotency_key)
      .receive([&](const dca::es::ack& a) { result = a; },
               [&](caf::error& e) { result = std::move(e); });
  if (result)
    std::cout << "  " << key << ": ok, seq " << result->seq << ", position " << result->position
              << (result->duplicate ? " (a retry: nothing appended)" : "") << '\n';
  else
    std::cout << "  " << key << ": refused: " << dca::es::render(result.error()) << '\n';
  return result;
}

/// The session: fill a cart, check it out, try to change it, and read the read model.
int run_session(caf::scoped_actor& self, const caf::actor& carts, const caf::actor& totals,
                const std::string& read_model_path) {
  namespace shop = dca::examples::cart;
  std::cout << "adding 2 apples and 1 pear to alice's cart, then checking out\n";
  if (!send_command(self, carts, "alice", shop::add_item{"apple", 2, 30}, "add-1") ||
      !send_command(self, carts, "alice", shop::add_item{"pear", 1, 45}, "add-2"))
    return 1;
  send_command(self, carts, "alice", shop::add_item{"pear", 1, 45}, "add-2"); // a retry
  auto done = send_command(self, carts, "alice", shop::check_out{}, "checkout");
  if (!done)
    return 1;
  std::cout << "adding a plum after checkout (the domain refuses it)\n";
  auto late = send_command(self, carts, "alice", shop::add_item{"plum", 1, 20}, "add-3");
  if (late || !shop::is(late.error(), shop::errc::checked_out))
    return 1;
  // [slide:read_your_writes]
  // Read your writes: wait until the read model has the checkout's position.
  auto caught_up = false;
  self->request(totals, 5s, dca::es::wait_atom::value, done->position, std::uint32_t{5000})
      .receive([&](std::uint64_t) { caught_up = true; },
               [&](caf::error& e) { std::cout << "  " << dca::es::render(e) << '\n'; });
  if (!caught_up)
    return 1;
  auto row = shop::read_cart_total(read_model_path, "alice");
  // [/slide:read_your_writes]
  if (!row || !*row)
    return 1;
  std::cout << "read model: alice has " << (*row)->items << " items, " << (*row)->total_cents
            << " cents, " << ((*row)->checked_out ? "checked out" : "open") << '\n';
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: cart_example DIR\n";
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  auto journal_path = std::string{argv[1]} + "/cart-journal.db";
  auto read_model_path = std::string{argv[1]} + "/cart-read-model.db";
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto journal = dca::es::sqlite_journal::open(journal_path);
  if (!journal) {
    std::cerr << dca::es::render(journal.error()) << '\n';
    return 1;
  }
  // Owners stop the host and the projection when main returns, before `sys` waits for them.
  dca::es::actor_owner carts{dca::es::spawn_entity_host<cart>(sys, *journal)};
  auto projection = dca::es::spawn_projection(
      sys, *journal, std::make_shared<dca::examples::cart::cart_totals>(), {read_model_path});
  if (!projection) {
    std::cerr << dca::es::render(projection.error()) << '\n';
    return 1;
  }
  dca::es::actor_owner totals{*projection};
  caf::scoped_actor self{sys};
  auto rc = run_session(self, carts, totals, read_model_path);
  std::cout << (rc == 0 ? "done: stopping the host and the projection\n" : "failed\n");
  return rc;
}
