// The subject: the learner's actors in a child process of the judge, on CAF's deterministic
// scheduler, so that nothing runs unless the judge asks. Each request runs one handler (or one
// start-up); the answer lists the messages it sent and its reply. The learner's actors only ever
// hold handles to relays, so every message they send goes back to the judge, which decides when
// (and whether) it is delivered.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/message.hpp"

namespace dca::bridge {

/// How the subject makes one kind of learner actor from the spawn's arguments (in which every
/// actor is already a relay to the judge).
using actor_factory = std::function<caf::actor(caf::actor_system&, const caf::message& args)>;

/// The kinds of actor an exercise's subject can spawn, by the names its stand-ins use.
using factory_table = std::map<std::string, actor_factory>;

/// One pure function of the learner's (an entity type's decide or apply): its encoded arguments
/// in, its encoded result out. It runs outside any actor, as the judge's (call, ...) asks; what it
/// throws is refused ("the submission's FUNCTION threw ..."), and the judge fails the run on it.
using subject_function = std::function<std::vector<char>(const std::vector<char>& args)>;

/// The learner's functions an exercise's subject serves, by the names the judge calls them.
using function_table = std::map<std::string, subject_function>;

/// main() of a subject binary, run by the judge as `SUBJECT --serve-fd N`: answers the requests
/// on descriptor N until the judge closes it. Returns the exit status.
int subject_main(int argc, char** argv, const factory_table& factories,
                 const function_table& functions = {});

} // namespace dca::bridge
