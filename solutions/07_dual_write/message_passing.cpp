// Exercise 07, message-passing track (the reference): one write. The order service only sends a
// command to the order entity, whose journal is the truth; a relay publishes the journal to the
// Redis stream from a position it stores after each publish, so a crash makes it publish again
// (at least once), never skip. Shipping deduplicates by that position and ships each order once.
#include "scenario.hpp"

#include <optional>
#include <stdexcept>

#include "dca/es/event_decoders.hpp"
#include "dca/es/projection.hpp"

namespace dual_write {

caf::expected<std::vector<order::event>> order::decide(const state& s, const command& cmd) {
  if (s.placed)
    return std::vector<event>{}; // placed already: a retried command changes nothing
  return std::vector<event>{order_placed{caf::get<place_order_command>(cmd).cents}};
}

order::state order::apply(state s, const event& ev) {
  s.cents = caf::get<order_placed>(ev).cents;
  s.placed = true;
  return s;
}

// [slide:ship]
void ship(shipping_state& st, const stream_entry& entry) {
  if (entry.position <= st.handled_through)
    return; // the relay published it again after a crash: shipped already
  st.shipped.push_back(entry.order.order_id);
  st.handled_through = entry.position;
}
// [/slide:ship]

namespace {

using published_atom = caf::atom_constant<caf::atom("published")>;

struct shipping_actor_state {
  std::optional<dca::services::redis_connection> redis;
  std::string last_id; // the stream id of the last entry read ("": none yet)
  shipping_state shipping;
};

/// The entry's fields (position, order_id, cents) from one XRANGE element [id, [field, value...]].
stream_entry to_entry(const dca::services::redis_reply& element) {
  stream_entry entry;
  const auto& fields = element.elements.at(1).elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const auto& name = fields[i].text;
    const auto& value = fields[i + 1].text;
    if (name == "position")
      entry.position = std::stoull(value);
    else if (name == "order_id")
      entry.order.order_id = value;
    else if (name == "cents")
      entry.order.cents = std::stoll(value);
  }
  return entry;
}

/// Ships every entry after the last one read, in stream order.
void read_stream(shipping_actor_state& st, const relay_keys& keys) {
  auto from = st.last_id.empty() ? std::string{"-"} : "(" + st.last_id;
  auto reply = st.redis->command({"XRANGE", keys.stream, from, "+"});
  if (reply.is_error())
    throw std::runtime_error("shipping cannot read the stream: " + reply.text);
  for (const auto& element : reply.elements) {
    ship(st.shipping, to_entry(element));
    st.last_id = element.elements.at(0).text;
  }
}

} // namespace

caf::actor spawn_shipping(caf::actor_system& system, run_space_ptr space, relay_keys keys) {
  return system.spawn([space, keys](caf::stateful_actor<shipping_actor_state>* self) {
    self->state.redis.emplace(space->connect_redis("shipping"));
    return caf::behavior{
        [self, keys](published_atom) { read_stream(self->state, keys); },
        [self, keys](flush_atom) {
          read_stream(self->state, keys);
          return self->state.shipping.shipped;
        },
    };
  });
}

namespace {

using step_atom = caf::atom_constant<caf::atom("step")>;
using remember_atom = caf::atom_constant<caf::atom("remember")>;

struct relay_state {
  dca::es::journal_ptr journal;
  relay_keys keys;
  caf::actor shipping;
  std::optional<dca::services::redis_connection> redis;
  std::uint64_t published = 0;   // the stored position, as this incarnation last read or wrote it
  std::uint64_t incarnation = 0; // a restart's predecessor's self-messages are ignored
  bool busy = false;             // a step is on its way
  std::vector<caf::response_promise> flushes;
};

using relay_actor = caf::stateful_actor<relay_state>;

/// The first order event after the published position, if the journal has one.
std::optional<dca::es::event_record> next_order_event(relay_state& st) {
  std::vector<dca::es::event_record> batch;
  for (auto after = st.published;; after = batch.front().position) {
    if (auto err = st.journal->read_all(after, 1, batch))
      throw std::runtime_error("the relay cannot read the journal: " + dca::es::render(err));
    if (batch.empty())
      return std::nullopt;
    if (batch.front().entity.type == order::type_name)
      return batch.front();
  }
}

/// What a restarted relay knows: the position it stored last (0 before its first).
std::uint64_t stored_position(relay_state& st) {
  auto reply = st.redis->command({"GET", st.keys.position});
  return reply.is_nil() ? 0 : std::stoull(reply.text);
}

// [slide:relay]
/// One step of the relay: publish the next event, then (in a step of its own, so a crash can come
/// between them) store its position. Publishing first makes it at least once: a crash before the
/// store publishes the event again. Storing first would make it at most once: a lost event.
void step(relay_actor* self) {
  auto& st = self->state;
  auto rec = next_order_event(st);
  if (!rec) {
    st.busy = false;
    for (auto& rp : st.flushes)
      rp.deliver(st.published);
    st.flushes.clear();
    return;
  }
  order::event ev;
  if (auto err = dca::es::decode_event<order>(*rec, ev))
    throw std::runtime_error("the relay cannot decode " + rec->text + ": " + dca::es::render(err));
  auto added = st.redis->command({"XADD", st.keys.stream, "*", "position",
                                  std::to_string(rec->position), "order_id", rec->entity.key,
                                  "cents", std::to_string(caf::get<order_placed>(ev).cents)});
  if (added.is_error())
    throw std::runtime_error("the relay cannot publish to the stream: " + added.text);
  self->send(st.shipping, published_atom::value);
  self->send(self, remember_atom::value, st.incarnation, rec->position);
}
// [/slide:relay]

void remember(relay_actor* self, std::uint64_t position) {
  auto& st = self->state;
  st.redis->command({"SET", st.keys.position, std::to_string(position)});
  st.published = position;
  self->send(self, step_atom::value, st.incarnation);
}

/// Starts a chain of steps unless one is on its way.
void wake(relay_actor* self) {
  if (self->state.busy)
    return;
  self->state.busy = true;
  self->send(self, step_atom::value, self->state.incarnation);
}

} // namespace

caf::actor spawn_relay(caf::actor_system& system, dca::es::journal_ptr journal, run_space_ptr space,
                       relay_keys keys, caf::actor shipping) {
  return system.spawn([=](relay_actor* self) {
    auto& st = self->state;
    st.journal = journal;
    st.keys = keys;
    st.shipping = shipping;
    st.redis.emplace(space->connect_redis("relay"));
    st.published = stored_position(st);
    auto current = [self](std::uint64_t incarnation) {
      return incarnation == self->state.incarnation;
    };
    return caf::behavior{
        [self](dca::es::committed_atom, std::uint64_t) { wake(self); },
        [self, current](step_atom, std::uint64_t inc) {
          if (current(inc))
            step(self);
        },
        [self, current](remember_atom, std::uint64_t inc, std::uint64_t position) {
          if (current(inc))
            remember(self, position);
        },
        [self](crash_atom) {
          // Everything in memory is gone; the restart knows only what it stored.
          auto& s = self->state;
          s.incarnation += 1;
          s.published = stored_position(s);
          s.busy = false;
          wake(self);
        },
        [self](flush_atom) {
          // The caller's wait, not the relay's memory: it outlives a crash.
          auto rp = self->make_response_promise();
          self->state.flushes.push_back(rp);
          wake(self);
          return rp;
        },
    };
  });
}

} // namespace dual_write
