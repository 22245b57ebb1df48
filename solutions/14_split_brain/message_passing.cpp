// Exercise 14, message-passing track: a node takes account-42 through a lease, not by silence.
// etcd grants the key to one node by a compare-and-swap under a lease, and the write's revision
// grows with every take: it is the owner's epoch. The new owner installs that epoch as the
// journal's fence and reads the journal in the same step, so an append of the old owner (a lower
// epoch) is refused as stale, and the new owner serves the balance the journal holds.
// This is the reference solution; the exercise file has the same shape.
#include "scenario.hpp"

namespace split_brain {

// [slide:lease]
void take_over_with_lease(node_actor* self, std::function<void(ownership)> serve) {
  auto journal = self->state.journal;
  self->request(self->state.leases, caf::infinite, take_atom::value, self->state.id)
      .then([=](std::uint64_t revision) {
        self->request(journal, caf::infinite, adopt_atom::value, revision)
            .then([=](const std::vector<entry>& events) {
              ownership own{revision, opening_cents, 0};
              for (const auto& e : events) {
                own.balance += e.cents;
                own.seq = e.seq;
              }
              serve(own);
            });
      });
}
// [/slide:lease]

} // namespace split_brain
