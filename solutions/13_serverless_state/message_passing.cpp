// Exercise 13, message-passing track (the reference): the handler stays stateless and short-lived,
// but it no longer reads and writes the seat map itself. It asks the event's one entity (a keyed
// stateful function on dca::es, activated on demand, recovered from its journal), which decides
// every reservation of the event one at a time, with the request id as the idempotency key: a
// retried request gets the seat its first invocation got.
#include "scenario.hpp"

#include <algorithm>

#include "dca/es/entity_host.hpp"
#include "dca/es/errors.hpp"

namespace serverless_state {

caf::expected<std::vector<event_seats::event>> event_seats::decide(const state& s,
                                                                   const command& cmd) {
  if (const auto* open = caf::get_if<open_event>(&cmd)) {
    if (s.opened || open->seats <= 0)
      return make_error(errc::bad_request, "the event is open already, or has no seats");
    return std::vector<event>{event_opened{open->seats}};
  }
  const auto& want = caf::get<reserve>(cmd);
  if (auto bad = request_id_problem(want.request_id))
    return make_error(errc::bad_request, *bad);
  if (!s.opened)
    return make_error(errc::unknown_event, "the event was never opened");
  auto free = std::find(s.holders.begin(), s.holders.end(), std::string{});
  if (free == s.holders.end())
    return make_error(errc::sold_out, "every seat is taken");
  auto seat = static_cast<int>(free - s.holders.begin()) + 1;
  return std::vector<event>{seat_reserved{seat, want.request_id, want.user}};
}

event_seats::state event_seats::apply(state s, const event& ev) {
  if (const auto* opened = caf::get_if<event_opened>(&ev)) {
    s.opened = true;
    s.holders.assign(static_cast<std::size_t>(opened->seats), std::string{});
    return s;
  }
  const auto& taken = caf::get<seat_reserved>(ev);
  auto& holder = s.holders[static_cast<std::size_t>(taken.seat - 1)];
  s.double_booked += holder.empty() ? 0 : 1;
  holder = taken.request_id;
  s.reservations += 1;
  return s;
}

namespace {

constexpr auto reply_timeout = std::chrono::seconds(10);

/// The last seat `request_id` took in `s`, from 1; 0 when it holds none.
int seat_of(const event_state& s, const std::string& request_id) {
  auto held = std::find(s.holders.rbegin(), s.holders.rend(), request_id);
  return held == s.holders.rend() ? 0 : static_cast<int>(s.holders.rend() - held);
}

} // namespace

// [slide:invocation]
caf::behavior invocation_actor(caf::event_based_actor* self, caf::actor events, invocation call,
                               caf::actor reply_to) {
  auto finish = [=](answer a) { self->send(reply_to, std::move(a)); };
  auto failed = [=](caf::error& e) { finish({0, dca::es::render(e)}); };
  // [slide:reserve_command]
  auto key = entity_key(call.event);
  // The request id names the reservation: every retry of the request carries the same key, and
  // the entity answers a key it has recorded with the recorded ack instead of deciding again.
  auto idempotency_key = call.request_id;
  self->request(events, reply_timeout, dca::es::command_atom::value, key,
                event_seats::command{reserve{call.request_id, call.user}}, idempotency_key)
      // [/slide:reserve_command]
      .then(
          [=](const dca::es::ack&) {
            self->request(events, reply_timeout, dca::es::get_atom::value, key)
                .then(
                    [=](const event_state& s) {
                      finish({seat_of(s, call.request_id), ""});
                    },
                    failed);
          },
          failed);
  return {};
}
// [/slide:invocation]

caf::actor spawn_invocation(caf::actor_system& sys, caf::actor events, invocation call,
                            caf::actor reply_to) {
  return sys.spawn(invocation_actor, std::move(events), std::move(call), std::move(reply_to));
}

} // namespace serverless_state
