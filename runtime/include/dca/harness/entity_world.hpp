// The actors of one run of a module-B exercise's message-passing track: a fresh in-memory journal,
// the host of the exercise's entity over it, and the actors that follow its commits (a cache
// projection, a relay, a replica's log stream). Exercises 06-08 build one per run and one per
// explored schedule; it stops them all when it goes. Header-only: it needs dca::es, which every
// exercise that uses it links (NEEDS services in exercises/manifest.ini).
//   dca::harness::entity_world<price> entities{system, skus, price_set{100}};
//   auto projection = entities.follow(spawn_cache_projection(system, entities.journal(), space));
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caf/all.hpp"

#include "dca/assert.hpp"
#include "dca/es/codec.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/es/projection.hpp"

namespace dca::harness {

template <class Entity>
class entity_world {
public:
  /// A fresh journal and the host of `Entity` over it.
  explicit entity_world(caf::actor_system& system) : entity_world(system, {}, {}) {}

  /// The same, with every key in `keys` already holding `first_event`, appended straight to the
  /// journal: the entities exist before the run, as the rows of the shared-state track do.
  entity_world(caf::actor_system& system, const std::vector<std::string>& keys,
               const typename Entity::event& first_event) {
    for (const auto& key : keys)
      preload(key, first_event);
    dca::es::entity_options opts;
    // No passivation timers: a short run never idles that long, and under the explorer a timer
    // would keep the host from ever being quiet.
    opts.idle_timeout = std::chrono::milliseconds{0};
    opts.hibernate_after = std::chrono::milliseconds{0};
    host_ = dca::es::spawn_entity_host<Entity>(system, journal_, opts);
  }

  ~entity_world() {
    for (auto id : subscriptions_)
      journal_->unsubscribe(id);
    caf::anon_send_exit(host_, caf::exit_reason::user_shutdown);
    for (const auto& a : owned_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  entity_world(const entity_world&) = delete;
  entity_world& operator=(const entity_world&) = delete;

  /// The entity host: send it (dca::es::command_atom, key, command, idempotency key).
  const caf::actor& host() const noexcept { return host_; }
  dca::es::journal_ptr journal() const { return journal_; }

  /// Stops `a` with this world; returns it.
  caf::actor stop_with_world(caf::actor a) {
    owned_.push_back(a);
    return a;
  }

  /// Sends `follower` (dca::es::committed_atom, position) on every commit from now on, and stops
  /// it with this world; returns it.
  caf::actor follow(caf::actor follower) {
    subscriptions_.push_back(journal_->subscribe([follower](std::uint64_t position) {
      caf::anon_send(follower, dca::es::committed_atom::value, position);
    }));
    return stop_with_world(std::move(follower));
  }

private:
  void preload(const std::string& key, const typename Entity::event& first_event) {
    dca::es::append_request req;
    req.entity = {Entity::type_name, key};
    req.events.push_back(*dca::es::to_event_data(first_event));
    journal_->append(std::move(req), [](caf::expected<dca::es::append_result> r) {
      DCA_ASSERT_MSG(r, "the memory journal takes a new stream's first event");
    });
  }

  std::shared_ptr<dca::es::memory_journal> journal_ = std::make_shared<dca::es::memory_journal>();
  caf::actor host_;
  std::vector<int> subscriptions_;
  std::vector<caf::actor> owned_;
};

} // namespace dca::harness
