// Exercise 10, shared-state track: the naive distributed design. The service applies every address
// change the moment it arrives, so the last change to arrive wins. What it shares with the apps is
// the channel between them: when the first change is lost and sent again, the retry arrives after
// the second change, and the customer's old address wins.
// Run `dca explore 10` to see the lost change and the late retry.
#include "scenario.hpp"

namespace reordered_messages {

namespace {

struct naive_state {
  std::map<std::string, std::string> addresses; // by sender
};

} // namespace

caf::actor spawn_naive_profiles(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<naive_state>* self) -> caf::behavior {
    return {
        // [slide:naive]
        [=](set_address_atom, const std::string& sender, std::uint64_t,
            const std::string& address) {
          self->state.addresses[sender] = address; // arrival order is taken for the sender's order
          return true;
        },
        // [/slide:naive]
        [=](address_atom, const std::string& sender) { return self->state.addresses[sender]; },
    };
  });
}

} // namespace reordered_messages
