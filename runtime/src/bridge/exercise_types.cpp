// The exercises' announcers: a list built before the bridge's first use, read by announce_types.
#include "dca/bridge/exercise_types.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "dca/assert.hpp"

namespace dca::bridge {

namespace {

struct announcers {
  std::mutex mutex;
  std::vector<type_announcer> all;
  bool read = false; // a config was made: an announcer added now would be missing from it
};

/// Built on first use: stand-ins may add theirs from static initialisers in any order.
announcers& registry() {
  static announcers list;
  return list;
}

} // namespace

void add_exercise_types(type_announcer announce) {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mutex};
  DCA_ASSERT(!r.read);
  if (std::find(r.all.begin(), r.all.end(), announce) == r.all.end())
    r.all.push_back(announce);
}

void announce_exercise_types(caf::actor_system_config& cfg) {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mutex};
  r.read = true;
  for (auto announce : r.all)
    announce(cfg);
}

} // namespace dca::bridge
