// Exercise 11, message-passing track: the cart as a CRDT, replicated by deltas. A shopper no longer
// writes the whole cart back: it sends the add itself, and the replica turns it into a delta that
// dca::crdt ships to the other replicas (replica.hpp: at once, and again until they acknowledge
// it). This file still stores the cart as one whole value stamped by the replica's clock, so an
// add through c, whose clock runs behind, is dropped by the next merge although it was
// acknowledged. Make the cart an OR-Set: each add keeps a dot of its own, and no clock decides.
// Fill in the lines marked TODO, then run `dca check 11`.
#include "scenario.hpp"

#include <set>

#include "dca/crdt/lww_register.hpp"
#include "dca/crdt/or_set.hpp"

namespace last_writer_wins {

namespace {

// [slide:cart]
// TODO: a cart whose merge keeps every add, whatever the clocks say: dca::crdt::or_set<item>.
using cart = dca::crdt::lww_register<std::set<item>>;

/// The delta that adds `x` to `s` at this replica.
cart add_item(cart& s, const replica_node& node, item x) {
  // TODO: an OR-Set add tags `x` with a new dot of this replica (s.add), and reads no clock.
  auto items = s.value();
  items.insert(x);
  return s.assign(node.name, std::move(items), node.now_ms());
}

/// The items of `s`, ascending.
std::vector<item> items_of(const cart& s) {
  // TODO: an OR-Set's items are its elements().
  const auto& items = s.value();
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
