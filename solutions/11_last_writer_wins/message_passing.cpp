// Exercise 11, message-passing track: the cart as a CRDT, replicated by deltas. A shopper no longer
// writes the whole cart back: it sends the add itself, and the replica turns it into a delta that
// dca::crdt ships to the other replicas (replica.hpp: at once, and again until they acknowledge
// it). The cart is an OR-Set: each add keeps a dot of its own, and no clock decides anything.
// This is the reference solution; the exercise file has the same shape.
#include "scenario.hpp"

#include <set>

#include "dca/crdt/lww_register.hpp"
#include "dca/crdt/or_set.hpp"

namespace last_writer_wins {

namespace {

// [slide:cart]
// A merge keeps every add it has not seen removed: no acknowledged add is lost, whatever the
// clocks.
using cart = dca::crdt::or_set<item>;

/// The delta that adds `x` to `s` at this replica.
cart add_item(cart& s, const replica_node& node, item x) {
  // A new dot of this replica names this add; no clock is read.
  return s.add(node.name, x);
}

/// The items of `s`, ascending.
std::vector<item> items_of(const cart& s) {
  // The elements that still hold a dot.
  auto items = s.elements();
  return {items.begin(), items.end()};
}
// [/slide:cart]

caf::behavior cart_replica(dca::crdt::replica_actor<cart>* self, replica_node node) {
  auto handlers = dca::crdt::replica_handlers(self, node.name, replica_names, replication(),
                                              replication_timing());
  return handlers.or_else(caf::message_handler{
      [=](get_atom) { return items_of(self->state.core->state()); },
      // [slide:add]
      [=](add_atom, item x) {
        dca::crdt::replica_update(
            self, [&](cart& s, const dca::crdt::replica_id&) { return add_item(s, node, x); });
        return true; // acknowledged: applied here, and on its way to the other replicas
      },
      // [/slide:add]
  });
}

} // namespace

caf::actor spawn_cart_replica(caf::actor_system& system, replica_node node) {
  return system.spawn(cart_replica, std::move(node));
}

} // namespace last_writer_wins
