// The relay actor (relay.hpp).
#include "dca/cluster/relay.hpp"

#include <caf/actor_cast.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

namespace dca::cluster {

namespace {

caf::behavior relay_actor(caf::event_based_actor* self, caf::actor owner, std::uint64_t id,
                          caf::actor peer, caf::message content,
                          std::chrono::milliseconds wait_max) {
  self->set_default_handler(
      [=](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        caf::anon_send(owner, relayed_atom::value, id, x.move_content_to_message());
        self->quit();
        return caf::delegated<caf::message>{};
      });
  // An error answer to an asynchronous message reaches the sender's error handler.
  self->set_error_handler([=](caf::scheduled_actor*, caf::error& err) {
    caf::anon_send(owner, relayed_atom::value, id, std::move(err));
    self->quit();
  });
  self->send(peer, std::move(content));
  return {caf::after(wait_max) >> [self] { self->quit(); }};
}

} // namespace

void spawn_relay(caf::local_actor* owner, std::uint64_t id, caf::actor peer, caf::message content,
                 std::chrono::milliseconds wait_max) {
  owner->spawn(relay_actor, caf::actor_cast<caf::actor>(owner), id, std::move(peer),
               std::move(content), wait_max);
}

} // namespace dca::cluster
