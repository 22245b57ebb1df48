// Exercise 08's contract as the judge implements it. The judge hosts the profile entity, its
// journal and its state, and runs the learner's decide and apply in the subject (entity_functions
// .hpp); the learner's views and sessions run in the subject behind stand-ins. A view's journal is
// the judge's, lent (journal_relay.hpp): each read the view makes, in its start-up or a handler, is
// answered from the judge's journal at the step the judge's scheduler runs that view. What each
// session saw, and so whether it read its own writes, is what the stand-ins carried. Linked into
// the judge's spec and program instead of message_passing.cpp, so no learner code is in the judge.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/journal_relay.hpp"
#include "dca/bridge/stand_in.hpp"

#include "judged_types.hpp"

namespace replica_lag {

namespace {

// Before main: the judge's link to the subject announces its types when it is first used.
[[maybe_unused]] const bool types_added =
    (dca::bridge::add_exercise_types(announce_judged_types), true);

} // namespace

caf::expected<std::vector<profile_entity::event>> profile_entity::decide(const state& s,
                                                                         const command& cmd) {
  return dca::bridge::decide_in_subject<profile_entity>(s, cmd);
}

profile_entity::state profile_entity::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<profile_entity>(s, ev);
}

caf::actor spawn_profile_view(caf::actor_system& system, dca::es::journal_ptr journal) {
  // The journal crosses as its service's number; the stand-in holds the offer while it lives.
  auto lent = dca::bridge::lend_journal(std::move(journal));
  auto args = caf::make_message(dca::bridge::service_ref{lent->id()});
  return dca::bridge::spawn_stand_in(system, "view", std::move(args), std::move(lent));
}

caf::actor spawn_session(caf::actor_system& system, caf::actor profiles,
                         std::vector<caf::actor> views, std::string key, std::int64_t rounds) {
  // The views cross one element each (an actor in a list would not be numbered).
  auto args = caf::make_message(std::move(profiles), std::move(key), rounds);
  for (auto& view : views)
    args = args + caf::make_message(std::move(view));
  return dca::bridge::spawn_stand_in(system, "session", std::move(args));
}

} // namespace replica_lag
