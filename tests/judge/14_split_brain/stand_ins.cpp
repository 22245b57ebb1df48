// Exercise 14's contract as the judge implements it. The learner writes take_over_with_lease, a
// function that runs inside the harness's node actor; here the node (the instructor's, in the
// judge) asks a stand-in instead: the learner's function runs in the subject, in a take-over actor
// with the node's id, journal, lease table and heartbeat copy, and its requests of the journal and
// the lease table (the judge's own actors) are made by the stand-in on the judge's scheduler. The
// ownership it serves comes back as the answer, and the node serves it in its own handler.
// Linked into the judge's spec and program instead of message_passing.cpp: no learner code here.
#include "scenario.hpp"

#include "dca/bridge/exercise_types.hpp"
#include "dca/bridge/stand_in.hpp"

#include "take_over.hpp"

namespace split_brain {

namespace {

// Before the bridge's first use: the link to the subject is made on the first stand-in's spawn.
[[maybe_unused]] const bool types_added =
    (dca::bridge::add_exercise_types(judged::announce_types), true);

} // namespace

void take_over_with_lease(node_actor* self, std::function<void(ownership)> serve) {
  const auto& st = self->state;
  auto learner = dca::bridge::spawn_stand_in(
      self->system(), judged::take_over_kind,
      caf::make_message(st.id, st.journal, st.leases, st.copy.epoch, st.copy.balance, st.copy.seq));
  self->link_to(learner); // it ends with its node (a partition's end, an explored schedule's)
  self->request(learner, caf::infinite, judged::take_over_atom::value)
      .then([serve](std::uint64_t epoch, std::int64_t balance, std::uint64_t seq) {
        serve(ownership{epoch, balance, seq});
      });
}

} // namespace split_brain
