// Exercise 03's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge and spawns the learner's ledger when its stand-in asks.
#include "scenario.hpp"

#include <optional>

#include "dca/bridge/subject_host.hpp"

namespace {

/// The bank the stand-in sent, as name, balance, closed for each account; nullopt when the
/// arguments are not that.
std::optional<std::vector<torn_invariant::opening>> openings_of(const caf::message& rows) {
  std::vector<torn_invariant::opening> accounts;
  for (std::size_t i = 0; i + 3 <= rows.size(); i += 3) {
    if (!rows.match_element<std::string>(i) || !rows.match_element<std::int64_t>(i + 1) ||
        !rows.match_element<bool>(i + 2))
      return std::nullopt;
    accounts.push_back(
        {rows.get_as<std::string>(i), rows.get_as<std::int64_t>(i + 1), rows.get_as<bool>(i + 2)});
  }
  if (rows.size() % 3 != 0)
    return std::nullopt;
  return accounts;
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::factory_table kinds{
      {"ledger", [](caf::actor_system& sys, const caf::message& args) {
         auto accounts = openings_of(args);
         return accounts ? torn_invariant::spawn_ledger(sys, std::move(*accounts)) : caf::actor{};
       }}};
  return dca::bridge::subject_main(argc, argv, kinds);
}
