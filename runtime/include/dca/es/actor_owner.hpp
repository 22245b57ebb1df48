// The one owner of a long-lived actor (an entity host, a projection): it stops the actor when it
// goes out of scope. CAF's actor system waits, in its destructor, for every actor that has not
// stopped. A projection never stops on its own (the journal's listener holds it); a host stops
// once unreachable (its entities hold it weakly), but an owner stops it at a point you choose.
// Declared after the actor system (it needs the system to be spawned), an owner is destroyed
// before it, so the system finds the actor stopping and returns:
//
//   caf::actor_system sys{cfg};
//   dca::es::actor_owner carts{dca::es::spawn_entity_host<cart>(sys, journal)};
//   ...                                // no anon_send_exit needed, on any return path
#pragma once

#include <utility>

#include <caf/actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

namespace dca::es {

class actor_owner {
public:
  actor_owner() = default;
  explicit actor_owner(caf::actor actor) : actor_(std::move(actor)) {}
  actor_owner(const actor_owner&) = delete;
  actor_owner& operator=(const actor_owner&) = delete;
  actor_owner(actor_owner&& other) noexcept : actor_(std::exchange(other.actor_, nullptr)) {}
  actor_owner& operator=(actor_owner&& other) noexcept {
    if (this != &other) {
      stop();
      actor_ = std::exchange(other.actor_, nullptr);
    }
    return *this;
  }
  ~actor_owner() { stop(); }

  /// The actor, to send to (copies of the handle do not own it).
  const caf::actor& get() const noexcept { return actor_; }
  operator const caf::actor&() const noexcept { return actor_; }

  /// Stops the actor now (user_shutdown: a host stops its entities with it); idempotent.
  void stop() {
    if (actor_)
      caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    actor_ = nullptr;
  }

private:
  caf::actor actor_;
};

} // namespace dca::es
