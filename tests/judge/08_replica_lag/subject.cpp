// Exercise 08's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge. It answers the judge's calls of profile_entity's decide and apply, and
// spawns the learner's views (on a relay of the judge's journal) and sessions (with relays for the
// judge's entity host and the views' stand-ins) when their stand-ins ask.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/journal_relay.hpp"

#include "judged_types.hpp"

namespace {

using namespace replica_lag;

caf::actor view(caf::actor_system& sys, const caf::message& args) {
  if (!args.match_elements<dca::bridge::service_ref>())
    return caf::actor{};
  return spawn_profile_view(sys,
                            dca::bridge::relayed_journal(args.get_as<dca::bridge::service_ref>(0)));
}

/// (profiles, key, rounds, view...): the views are the elements after the third.
caf::actor session(caf::actor_system& sys, const caf::message& args) {
  if (args.size() < 3 || !args.match_element<caf::actor>(0) ||
      !args.match_element<std::string>(1) || !args.match_element<std::int64_t>(2))
    return caf::actor{};
  std::vector<caf::actor> views;
  for (std::size_t i = 3; i < args.size(); ++i) {
    if (!args.match_element<caf::actor>(i))
      return caf::actor{};
    views.push_back(args.get_as<caf::actor>(i));
  }
  return spawn_session(sys, args.get_as<caf::actor>(0), std::move(views),
                       args.get_as<std::string>(1), args.get_as<std::int64_t>(2));
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::add_exercise_types(announce_judged_types);
  dca::bridge::function_table functions;
  dca::bridge::serve_entity<profile_entity>(functions);
  dca::bridge::factory_table kinds{{"view", view}, {"session", session}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
