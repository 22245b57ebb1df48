// Exercise 13's contract as the judge implements it. The learner writes the event's entity
// (event_seats' decide and apply: pure functions, so the judge hosts the entity, its journal and
// its state, and runs the learner's functions in the subject, as for 05) and the invocation actor,
// which runs in the subject behind a stand-in: its requests to the event host (the judge's) and its
// answer to the caller are made by the stand-in, on the judge's scheduler. Linked into the judge's
// spec and program instead of message_passing.cpp, so no learner code is in the judge.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/stand_in.hpp"

#include "judged_types.hpp"

namespace serverless_state {

namespace {

// Before main: the judge's link to the subject announces its types when it is first used.
[[maybe_unused]] const bool types_added =
    (dca::bridge::add_exercise_types(announce_judged_types), true);

} // namespace

caf::expected<std::vector<event_seats::event>> event_seats::decide(const state& s,
                                                                   const command& cmd) {
  return dca::bridge::decide_in_subject<event_seats>(s, cmd);
}

event_seats::state event_seats::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<event_seats>(s, ev);
}

caf::actor spawn_invocation(caf::actor_system& sys, caf::actor events, invocation call,
                            caf::actor reply_to) {
  // The invocation crosses as its three strings: no exercise type to announce for it.
  return dca::bridge::spawn_stand_in(sys, "invocation",
                                     caf::make_message(std::move(events), std::move(call.event),
                                                       std::move(call.request_id),
                                                       std::move(call.user), std::move(reply_to)));
}

} // namespace serverless_state
