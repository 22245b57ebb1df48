// The registered announcers of exercises' types, added by announce_types on both ends.
#include "dca/bridge/exercise_types.hpp"

#include <algorithm>
#include <vector>

#include "dca/bridge/wire.hpp"

namespace dca::bridge {

namespace {

std::vector<types_announcer>& announcers() {
  static std::vector<types_announcer> registered;
  return registered;
}

} // namespace

bool announce_exercise_types(types_announcer announce) {
  auto& registered = announcers();
  if (std::find(registered.begin(), registered.end(), announce) == registered.end())
    registered.push_back(announce);
  return true;
}

void announce_registered_types(caf::actor_system_config& cfg) {
  for (auto announce : announcers())
    announce(cfg);
}

} // namespace dca::bridge
