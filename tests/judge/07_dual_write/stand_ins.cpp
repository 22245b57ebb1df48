// Exercise 07's contract as the judge implements it. The judge hosts the order entities, their
// journal and the spec's checks; the learner's decide, apply and ship() run in the subject as
// calls (entity_functions.hpp, ship_call.hpp), and the learner's shipping and relay run there
// behind stand-ins. What they are lent crosses as numbers: the run space (run_space_relay.hpp: each
// Redis command they make runs on a connection of the judge's, at the step the judge's scheduler
// runs that actor), and the relay's journal (journal_relay.hpp: reads only). The stream, the stored
// position and what shipping answers are therefore made by the learner's code, on the judge's
// servers and schedule. Linked into the judge's spec and program instead of message_passing.cpp.
#include "scenario.hpp"

#include <utility>

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/journal_relay.hpp"
#include "dca/bridge/run_space_relay.hpp"
#include "dca/bridge/stand_in.hpp"

#include "ship_call.hpp"

namespace dual_write {

caf::expected<std::vector<order::event>> order::decide(const state& s, const command& cmd) {
  return dca::bridge::decide_in_subject<order>(s, cmd);
}

order::state order::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<order>(s, ev);
}

void ship(shipping_state& st, const stream_entry& entry) {
  judged::ship_in_subject(st, entry);
}

caf::actor spawn_shipping(caf::actor_system& system, run_space_ptr space, relay_keys keys) {
  auto lent = dca::bridge::lend_run_space(std::move(space));
  auto args = caf::make_message(dca::bridge::service_ref{lent->id()}, std::move(keys.stream),
                                std::move(keys.position));
  return dca::bridge::spawn_stand_in(system, judged::shipping_kind, std::move(args),
                                     std::move(lent));
}

caf::actor spawn_relay(caf::actor_system& system, dca::es::journal_ptr journal, run_space_ptr space,
                       relay_keys keys, caf::actor shipping) {
  // Both offers live as long as the relay's stand-in: the journal's reads and the run space's
  // connections are withdrawn when it ends.
  auto lent = std::make_shared<std::pair<std::shared_ptr<dca::bridge::service_offer>,
                                         std::shared_ptr<dca::bridge::service_offer>>>(
      dca::bridge::lend_journal(std::move(journal)), dca::bridge::lend_run_space(std::move(space)));
  auto args = caf::make_message(
      dca::bridge::service_ref{lent->first->id()}, dca::bridge::service_ref{lent->second->id()},
      std::move(keys.stream), std::move(keys.position), std::move(shipping));
  return dca::bridge::spawn_stand_in(system, judged::relay_kind, std::move(args), std::move(lent));
}

} // namespace dual_write
