// Exercise 10's spec, run against both tracks: the naive service must keep an older address on
// every exploration once the explorer loses a change and its retry lands late (the lesson); the
// learner's profile service must apply a sender's changes in their numbers' order whatever order
// they arrive in, stay clean on every explored schedule with lost and repeated messages, and under
// seeded fault plans of the fault link on CAF's deterministic scheduler (the fix).
#include <doctest/doctest.h>

#include "caf_doctest.hpp"
#include "dca/cluster/fault_link.hpp"
#include "scenario.hpp"
#include "spec_search.hpp"

namespace {

using namespace reordered_messages;

constexpr std::uint64_t fault_plans = 8;
constexpr int apps_per_plan = 6;
constexpr int changes_per_app = 4;

/// Customers left at an older address, and changes never answered, when apps send their changes
/// through a fault link under `plan`.
struct under_faults : deterministic_actors {
  int older = 0;
  int unanswered = 0;

  under_faults(caf::actor (*spawn)(caf::actor_system&), dca::cluster::fault_plan plan) {
    auto profiles = spawn(sys);
    auto link = dca::cluster::spawn_fault_link(sys, profiles, plan);
    std::vector<caf::actor> apps;
    for (int i = 1; i <= apps_per_plan; ++i)
      apps.push_back(spawn_app(sys, link, "app" + std::to_string(i), changes_per_app, app_timeout));
    run_with_timeouts();
    for (auto& a : apps) {
      auto heard = ask<app_report>(a, app_report{}, report_atom::value);
      unanswered += heard.unanswered;
      auto now = ask<std::string>(profiles, std::string{"?"}, address_atom::value, heard.name);
      older += heard.sent.empty() || now != heard.sent.back() ? 1 : 0;
    }
  }
};

} // namespace

TEST_CASE("the naive service keeps an older address on every exploration once a change is lost "
          "and its retry lands late") {
  auto ex = describe();
  auto found = ex.explore_shared(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict.find("ann's address is \"1 Old Street\", but her last change was to \"2 New "
                           "Road\"") == 0);
  CHECK(found.failing_schedule.to_string().find('d') != std::string::npos);
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.verdict == found.verdict);
  CHECK(again.trace.size() == found.trace.size());
}

TEST_CASE("the naive service keeps older addresses under the seeded fault plans") {
  int older = 0;
  for (std::uint64_t seed = 1; seed <= fault_plans; ++seed)
    older += under_faults(spawn_naive_profiles, faults_of(seed)).older;
  CHECK(older > 0);
}

TEST_CASE("the profile service applies a sender's changes in their numbers' order, whatever "
          "order they arrive in") {
  deterministic_actors world;
  auto profiles = spawn_profiles(world.sys);
  // Held until change 1 comes: this asker times out, and the change stays held.
  world.ask<bool>(profiles, false, set_address_atom::value, std::string{"ann"}, std::uint64_t{2},
                  std::string{"2 New Road"});
  auto first_late = world.ask<bool>(profiles, false, set_address_atom::value, std::string{"ann"},
                                    std::uint64_t{1}, std::string{"1 Old Street"});
  auto now =
      world.ask<std::string>(profiles, std::string{"?"}, address_atom::value, std::string{"ann"});
  CHECK_MESSAGE(now == "2 New Road",
                "change 2 arrived before change 1, and ann's address is \""
                    << now << "\": the service must apply each sender's changes in the order of "
                    << "their numbers, not in the order they arrive");
  CHECK(first_late);
  auto repeat = world.ask<bool>(profiles, false, set_address_atom::value, std::string{"ann"},
                                std::uint64_t{1}, std::string{"1 Old Street"});
  CHECK(repeat);
  CHECK_MESSAGE(world.ask<std::string>(profiles, std::string{"?"}, address_atom::value,
                                       std::string{"ann"}) == "2 New Road",
                "a repeat of change 1 moved ann back: a change already applied must not apply "
                "again");
}

TEST_CASE("the profile service keeps the last change on every explored schedule with lost and "
          "repeated messages") {
  auto r = describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "10"));
}

TEST_CASE("a seeded random search with lost and repeated messages: the last change wins") {
  auto r = describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "10"));
}

TEST_CASE("the profile service keeps every customer's last change under the seeded fault plans") {
  for (std::uint64_t seed = 1; seed <= fault_plans; ++seed) {
    under_faults run{spawn_profiles, faults_of(seed)};
    CHECK_MESSAGE(run.older == 0, "fault plan seed " << seed << ": " << run.older
                                                     << " customers at an older address");
    CHECK_MESSAGE(run.unanswered == 0, "fault plan seed " << seed << ": " << run.unanswered
                                                          << " changes never answered");
  }
}
