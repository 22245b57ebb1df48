// Exercise 11, shared-state track: the naive replicated design. Each replica keeps the whole cart
// as one value, a shopper reads it, adds an item and writes it back, and the replica stamps the
// write with its own wall clock. Anti-entropy converges the replicas by keeping the later stamp:
// of two concurrent writes one is discarded whole, and a write through c, whose clock runs
// behind, loses to an earlier one. Every lost write was acknowledged.
// Run `dca explore 11` to see an acknowledged add vanish, and `dca run 11` to count them per skew.
#include "scenario.hpp"

#include <set>

#include "dca/crdt/lww_register.hpp"

namespace last_writer_wins {

namespace {

using cart = dca::crdt::lww_register<std::set<item>>;

caf::behavior lww_replica(dca::crdt::replica_actor<cart>* self, replica_node node) {
  auto handlers = dca::crdt::replica_handlers(self, node.name, replica_names, replication(),
                                              replication_timing());
  return handlers.or_else(caf::message_handler{
      [=](get_atom) {
        const auto& items = self->state.core->state().value();
        return std::vector<item>(items.begin(), items.end());
      },
      // [slide:naive]
      [=](put_atom, const std::vector<item>& items) {
        dca::crdt::replica_update(self, [&](cart& s, const dca::crdt::replica_id& me) {
          // The whole cart, stamped by this replica's clock: the later stamp wins every merge.
          return s.assign(me, std::set<item>(items.begin(), items.end()), node.now_ms());
        });
        return true; // acknowledged
      },
      // [/slide:naive]
  });
}

} // namespace

caf::actor spawn_lww_replica(caf::actor_system& system, replica_node node) {
  return system.spawn(lww_replica, std::move(node));
}

} // namespace last_writer_wins
