// Exercise 14, shared-state track: the naive distributed design, ownership by heartbeat timeout.
// Node 2 keeps a copy of account-42 from node 1's heartbeats and takes the account over when no
// heartbeat came in time. Silence is not death: a lost heartbeat (a partition) or a long pause
// looks the same, node 1 keeps serving, and both nodes append withdrawals on the same balance.
// Run `dca explore 14` to see the lost heartbeat and the two events with the same seq.
#include "scenario.hpp"

namespace split_brain {

// [slide:naive]
void take_over_by_timeout(node_actor* self, std::function<void(ownership)> serve) {
  serve(self->state.copy); // "no heartbeat, so node 1 is dead": its last state is the truth
}
// [/slide:naive]

} // namespace split_brain
