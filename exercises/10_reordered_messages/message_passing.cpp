// Exercise 10, message-passing track: each customer's profile is a dca::es entity, and the service
// in front of it turns each address change into a command. The app numbers its changes 1, 2, ...
// in the order it makes them, but they may arrive in another order: send each command as part of
// the app's activity, with a sender_stamp (the app's name and the change's number). dca::es then
// runs each sender's commands in number order, holds one that came early until the gap is filled,
// answers a repeat with the recorded reply, and keeps each sender's last number in its events.
// Fill in the line marked TODO, then run `dca check 10`.
#include "scenario.hpp"

#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"

namespace reordered_messages {

caf::expected<std::vector<profile::event>> profile::decide(const state&, const command& cmd) {
  return std::vector<event>{address_changed{caf::get<change_address>(cmd).address}};
}

profile::state profile::apply(state s, const event& ev) {
  s.address = caf::get<address_changed>(ev).address;
  return s;
}

namespace {

caf::behavior profile_service(caf::event_based_actor* self, caf::actor host) {
  using dca::es::ack;
  return {
      // [slide:change]
      [=](set_address_atom, const std::string& sender, std::uint64_t seq,
          const std::string& address) -> caf::result<bool> {
        auto rp = self->make_response_promise<bool>();
        profile::command cmd{change_address{address}};
        // TODO: send the change as number `seq` of `sender`: a dca::es::sender_stamp, not a key.
        auto in_order = std::string{}; // no key, no stamp: arrival order
        (void)seq;
        self->request(host, caf::infinite, dca::es::command_atom::value, sender, cmd, in_order)
            .then([rp](const ack&) mutable { rp.deliver(true); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      // [/slide:change]
      [=](address_atom, const std::string& sender) -> caf::result<std::string> {
        auto rp = self->make_response_promise<std::string>();
        self->request(host, caf::infinite, dca::es::get_atom::value, sender)
            .then([rp](const profile_state& s) mutable { rp.deliver(s.address); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_profiles(caf::actor_system& system) {
  dca::es::entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{0}; // profiles stay in memory: no timers
  opts.hibernate_after = std::chrono::milliseconds{0};
  opts.gaps = dca::es::gap_policy::buffer; // an early change waits for the ones before it
  auto host = dca::es::spawn_entity_host<profile>(
      system, std::make_shared<dca::es::memory_journal>(), opts);
  return system.spawn(profile_service, host);
}

} // namespace reordered_messages
