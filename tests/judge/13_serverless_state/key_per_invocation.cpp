// A learner's exercise 13 that looks right and is not: its invocation sends an idempotency key, but
// one that names the invocation (its actor's id), not the request, so every retry is a new key and
// the entity takes another seat for it. Linked into a subject (tests/judge/CMakeLists.txt), it must
// fail judged on the judge's own tally of the entity it hosts: a request holding two seats.
#include "scenario.hpp"

#include <algorithm>

#include "dca/es/entity_host.hpp"
#include "dca/es/errors.hpp"

namespace serverless_state {

caf::expected<std::vector<event_seats::event>> event_seats::decide(const state& s,
                                                                   const command& cmd) {
  if (const auto* open = caf::get_if<open_event>(&cmd))
    return std::vector<event>{event_opened{open->seats}};
  const auto& want = caf::get<reserve>(cmd);
  auto free = std::find(s.holders.begin(), s.holders.end(), std::string{});
  if (!s.opened || free == s.holders.end())
    return make_error(errc::sold_out, "no seat");
  return std::vector<event>{
      seat_reserved{static_cast<int>(free - s.holders.begin()) + 1, want.request_id, want.user}};
}

event_seats::state event_seats::apply(state s, const event& ev) {
  if (const auto* opened = caf::get_if<event_opened>(&ev)) {
    s.opened = true;
    s.holders.assign(static_cast<std::size_t>(opened->seats), std::string{});
    return s;
  }
  const auto& taken = caf::get<seat_reserved>(ev);
  s.holders[static_cast<std::size_t>(taken.seat - 1)] = taken.request_id;
  s.reservations += 1;
  return s;
}

caf::actor spawn_invocation(caf::actor_system& sys, caf::actor events, invocation call,
                            caf::actor reply_to) {
  return sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto key = entity_key(call.event);
    auto idempotency_key = "inv-" + std::to_string(self->id()); // wrong: a new key per retry
    auto fail = [=](caf::error& e) { self->send(reply_to, answer{0, dca::es::render(e)}); };
    self->request(events, std::chrono::seconds(10), dca::es::command_atom::value, key,
                  event_seats::command{reserve{call.request_id, call.user}}, idempotency_key)
        .then(
            [=](const dca::es::ack&) {
              self->request(events, std::chrono::seconds(10), dca::es::get_atom::value, key)
                  .then(
                      [=](const event_state& s) {
                        auto held =
                            std::find(s.holders.rbegin(), s.holders.rend(), call.request_id);
                        auto seat = static_cast<int>(s.holders.rend() - held);
                        self->send(reply_to, answer{held == s.holders.rend() ? 0 : seat, ""});
                      },
                      fail);
            },
            fail);
    return {};
  });
}

} // namespace serverless_state
