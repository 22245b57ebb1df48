// The exercise's message types the bridge announces besides its own: a list filled before main (or
// before subject_main), read when each side's actor system config is made.
#include "dca/bridge/message_types.hpp"

#include <algorithm>
#include <vector>

#include "dca/assert.hpp"

namespace dca::bridge {

namespace {

struct announcers {
  std::vector<message_types_announcer> added;
  bool read = false; // a config was made: an announcer added now would be missing from it
};

/// Constructed on first use: static initialisers of other files add to it.
announcers& registry() {
  static announcers list;
  return list;
}

} // namespace

bool add_message_types(message_types_announcer announce) {
  auto& list = registry();
  DCA_ASSERT(!list.read);
  if (std::find(list.added.begin(), list.added.end(), announce) == list.added.end())
    list.added.push_back(announce);
  return true;
}

void announce_message_types(caf::actor_system_config& cfg) {
  auto& list = registry();
  list.read = true;
  for (auto announce : list.added)
    announce(cfg);
}

} // namespace dca::bridge
