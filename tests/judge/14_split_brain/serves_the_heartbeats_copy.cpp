// A learner's exercise 14 that fences but serves the wrong balance: it takes the lease and raises
// the journal's fence to its revision, then serves the heartbeat's copy instead of what the
// journal holds, so a withdrawal node 1 wrote during the partition is missed. Linked into a
// subject (tests/judge/CMakeLists.txt), it must fail the judged spec on the judge's own journal.
#include "scenario.hpp"

namespace split_brain {

void take_over_with_lease(node_actor* self, std::function<void(ownership)> serve) {
  auto journal = self->state.journal;
  self->request(self->state.leases, caf::infinite, take_atom::value, self->state.id)
      .then([=](std::uint64_t revision) {
        self->request(journal, caf::infinite, adopt_atom::value, revision)
            .then([=](const std::vector<entry>&) {
              auto own = self->state.copy; // wrong: the copy misses what node 1 wrote meanwhile
              own.epoch = revision;
              serve(own);
            });
      });
}

} // namespace split_brain
