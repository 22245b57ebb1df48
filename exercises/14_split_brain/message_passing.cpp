// Exercise 14, message-passing track: a node takes account-42 through a lease, not by silence.
// etcd grants the key to one node by a compare-and-swap under a lease, and the write's revision
// grows with every take: it is the owner's epoch. The new owner installs that epoch as the
// journal's fence and reads the journal in the same step, so an append of the old owner (a lower
// epoch) is refused as stale, and the new owner serves the balance the journal holds.
// Fill in the function marked TODO, then run `dca check 14`.
#include "scenario.hpp"

namespace split_brain {

// [slide:lease]
void take_over_with_lease(node_actor* self, std::function<void(ownership)> serve) {
  // TODO: take the lease (take_atom to self->state.leases -> its revision), raise the journal's
  // fence to that revision (adopt_atom to self->state.journal -> every event so far), and serve
  // ownership{revision, the balance and last seq of those events}.
  serve(self->state.copy); // still the heartbeat's copy, and no fence
}
// [/slide:lease]

} // namespace split_brain
