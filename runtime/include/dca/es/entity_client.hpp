// A caller's cache of resolved entities (like Orleans' client-side directory cache), so that
// commands skip the host hop.
#pragma once

#include <string>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/duration.hpp>
#include <caf/error.hpp>
#include <caf/sec.hpp>

#include "dca/es/entity.hpp"
#include "dca/es/idempotency_keys.hpp"

namespace dca::es {

/// A caller's cache of resolved entities, like Orleans' client-side directory cache. The first
/// command for a key goes through the host; the entity's reply comes from the entity's own actor,
/// so the reply names it, and later commands for that key go to it directly, without the host
/// hop and without a resolve round trip. A cached actor that has stopped (the entity
/// hibernated, passivated or failed) answers sec::request_receiver_down without executing the
/// command; the client then forgets it and sends the command through the host, which activates the
/// entity again. For one event-based actor: keep the client in that actor's state (its response
/// handlers refer to it).
template <class E>
class entity_client {
public:
  explicit entity_client(caf::actor host, caf::duration timeout = caf::infinite)
      : host_(std::move(host)), timeout_(timeout) {}

  /// Sends `(command_atom, key, cmd, idempotency_key)`; calls `on_ack(const ack&)` or
  /// `on_error(caf::error&)` with the answer.
  template <class Self, class OnAck, class OnError>
  void command(Self* self, const std::string& key, typename E::command cmd,
               std::string idempotency_key, OnAck on_ack, OnError on_error) {
    auto i = cache_.find(key);
    if (i == cache_.end()) {
      via_host(self, key, std::move(cmd), std::move(idempotency_key), std::move(on_ack),
               std::move(on_error));
      return;
    }
    self->request(i->second, timeout_, command_atom::value, cmd, idempotency_key)
        .then([on_ack](ack& a) mutable { on_ack(a); },
              [this, self, key, cmd = std::move(cmd), idem = std::move(idempotency_key), on_ack,
               on_error](caf::error& err) mutable {
                if (err != caf::sec::request_receiver_down) {
                  on_error(err);
                  return;
                }
                cache_.erase(key);
                via_host(self, key, std::move(cmd), std::move(idem), std::move(on_ack),
                         std::move(on_error));
              });
  }

  /// The entities whose actor this client knows.
  std::size_t cached() const noexcept { return cache_.size(); }

private:
  template <class Self, class OnAck, class OnError>
  void via_host(Self* self, const std::string& key, typename E::command cmd,
                std::string idempotency_key, OnAck on_ack, OnError on_error) {
    self->request(host_, timeout_, command_atom::value, key, std::move(cmd),
                  std::move(idempotency_key))
        .then(
            [this, self, key, on_ack](ack& a) mutable {
              auto from = caf::actor_cast<caf::actor>(self->current_sender());
              if (from && from != host_)
                cache_[key] = std::move(from);
              on_ack(a);
            },
            [on_error](caf::error& err) mutable { on_error(err); });
  }

  caf::actor host_;
  caf::duration timeout_;
  std::unordered_map<std::string, caf::actor> cache_;
};

} // namespace dca::es
