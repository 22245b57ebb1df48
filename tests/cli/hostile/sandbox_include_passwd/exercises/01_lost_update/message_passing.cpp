// A hostile submission (test data for the grader): it includes /etc/passwd so that the compiler
// quotes its lines in the errors. The report may show the learner's own lines, never those.
#include "scenario.hpp"

#include "/etc/passwd"

namespace lost_update {

caf::actor spawn_counter(caf::actor_system& system);

} // namespace lost_update
