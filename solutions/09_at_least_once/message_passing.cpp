// Exercise 09, message-passing track: the payments are one dca::es entity, and the service in
// front of it turns each charge message into a command. The checkout sends a charge again when its
// receipt is late, so the service sees some charges twice: give each command an idempotency key
// that is the same on every attempt of one order. dca::es persists the key in the same append as
// the charged event, and answers a command whose key it has recorded with the recorded ack.
// This is the reference solution; the exercise file has the same shape.
#include "scenario.hpp"

#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"

namespace at_least_once {

caf::expected<std::vector<payment_ledger::event>> payment_ledger::decide(const state&,
                                                                         const command& cmd) {
  const auto& c = caf::get<charge>(cmd);
  return std::vector<event>{charged{c.order, c.amount_cents}};
}

payment_ledger::state payment_ledger::apply(state s, const event& ev) {
  const auto& c = caf::get<charged>(ev);
  ++s.charges[c.order];
  s.total_cents += c.amount_cents;
  return s;
}

namespace {

/// The one ledger entity's key: every charge goes to it.
const std::string ledger_key = "shop";

caf::behavior payment_service(caf::event_based_actor* self, caf::actor host) {
  using dca::es::ack;
  return {
      // [slide:charge]
      [=](charge_atom, int order, std::int64_t amount_cents) -> caf::result<std::int64_t> {
        // The key names the charge, not the attempt: every retry of `order` carries the same one.
        auto idempotency_key = "order-" + std::to_string(order);
        auto rp = self->make_response_promise<std::int64_t>();
        payment_ledger::command cmd{charge{order, amount_cents}};
        self->request(host, caf::infinite, dca::es::command_atom::value, ledger_key, cmd,
                      idempotency_key)
            .then([rp](const ack& a) mutable { rp.deliver(static_cast<std::int64_t>(a.seq)); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      // [/slide:charge]
      [=](charges_atom, int order) -> caf::result<int> {
        auto rp = self->make_response_promise<int>();
        self->request(host, caf::infinite, dca::es::get_atom::value, ledger_key)
            .then(
                [rp, order](const ledger_state& s) mutable {
                  auto i = s.charges.find(order);
                  rp.deliver(i == s.charges.end() ? 0 : i->second);
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_payments(caf::actor_system& system) {
  dca::es::entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{0}; // the ledger stays in memory: no timers
  opts.hibernate_after = std::chrono::milliseconds{0};
  auto host = dca::es::spawn_entity_host<payment_ledger>(
      system, std::make_shared<dca::es::memory_journal>(), opts);
  return system.spawn(payment_service, host);
}

} // namespace at_least_once
