// A learner's exercise 10 that stamps every change but spawns its profiles with
// gap_policy::refuse: a change that arrives before the one numbered before it is refused instead
// of held, so the later address is lost. Linked into a subject (tests/judge/CMakeLists.txt), it
// must fail the judged spec: the options of the learner's spawn_entity_host reach the judge's host.
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
  return {
      [=](set_address_atom, const std::string& sender, std::uint64_t seq,
          const std::string& address) -> caf::result<bool> {
        auto rp = self->make_response_promise<bool>();
        profile::command cmd{change_address{address}};
        self->request(host, caf::infinite, dca::es::command_atom::value, sender, cmd,
                      dca::es::sender_stamp{sender, seq})
            .then([rp](const dca::es::ack&) mutable { rp.deliver(true); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
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
  opts.idle_timeout = std::chrono::milliseconds{0};
  opts.hibernate_after = std::chrono::milliseconds{0};
  opts.gaps = dca::es::gap_policy::refuse; // wrong: an early change is refused, not held
  auto host = dca::es::spawn_entity_host<profile>(
      system, std::make_shared<dca::es::memory_journal>(), opts);
  return system.spawn(profile_service, host);
}

} // namespace reordered_messages
