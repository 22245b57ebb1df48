// Exercise 14's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge. A take-over actor is a node actor of the harness's shape (node_state) that
// holds the judged node's id, heartbeat copy and relays for the judge's journal and lease table;
// asked to take the account over, it runs the learner's take_over_with_lease, and what that serves
// is its answer to the judge's node.
#include "scenario.hpp"

#include "dca/bridge/exercise_types.hpp"
#include "dca/bridge/subject_host.hpp"

#include "take_over.hpp"

namespace {

using namespace split_brain;

caf::behavior take_over_actor(node_actor* self, int id, caf::actor journal, caf::actor leases,
                              ownership copy) {
  self->state.id = id;
  self->state.journal = std::move(journal);
  self->state.leases = std::move(leases);
  self->state.copy = copy;
  return {
      [=](judged::take_over_atom) -> caf::result<std::uint64_t, std::int64_t, std::uint64_t> {
        auto rp = self->make_response_promise<std::uint64_t, std::int64_t, std::uint64_t>();
        take_over_with_lease(
            self, [rp](ownership own) mutable { rp.deliver(own.epoch, own.balance, own.seq); });
        return rp;
      },
  };
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::add_exercise_types(judged::announce_types);
  dca::bridge::factory_table kinds{
      {judged::take_over_kind, [](caf::actor_system& sys, const caf::message& args) {
         if (!args.match_elements<int, caf::actor, caf::actor, std::uint64_t, std::int64_t,
                                  std::uint64_t>())
           return caf::actor{};
         ownership copy{args.get_as<std::uint64_t>(3), args.get_as<std::int64_t>(4),
                        args.get_as<std::uint64_t>(5)};
         return sys.spawn(take_over_actor, args.get_as<int>(0), args.get_as<caf::actor>(1),
                          args.get_as<caf::actor>(2), copy);
       }}};
  return dca::bridge::subject_main(argc, argv, kinds);
}
