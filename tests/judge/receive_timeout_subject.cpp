// The subject of the receive-timeout tests (receive_timeout_test.cpp): idler.hpp's actors, made
// from one actor argument each, where the judge's stand-ins reach them.
#include "dca/bridge/subject_host.hpp"

#include "idler.hpp"

namespace {

using spawn_function = caf::behavior (*)(caf::event_based_actor*, caf::actor);

dca::bridge::actor_factory made_by(spawn_function f) {
  return [f](caf::actor_system& sys, const caf::message& args) {
    if (!args.match_elements<caf::actor>())
      return caf::actor{};
    return sys.spawn(f, args.get_as<caf::actor>(0));
  };
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::factory_table kinds{{"idler", made_by(dca::judge_test::idler)},
                                   {"idler_at_once", made_by(dca::judge_test::idler_at_once)}};
  return dca::bridge::subject_main(argc, argv, kinds);
}
