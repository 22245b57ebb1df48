// Exercise 11's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge and spawns the learner's cart replicas when their stand-ins ask. Each
// replica's clock is the subject's, which the judge sets to its own virtual time.
#include "scenario.hpp"

#include "dca/bridge/subject_host.hpp"

int main(int argc, char** argv) {
  dca::bridge::factory_table kinds{
      {"cart_replica", [](caf::actor_system& sys, const caf::message& args) {
         if (!args.match_elements<std::string, std::int64_t>())
           return caf::actor{};
         last_writer_wins::replica_node node{
             args.get_as<std::string>(0), std::chrono::milliseconds{args.get_as<std::int64_t>(1)},
             &sys.clock()};
         return last_writer_wins::spawn_cart_replica(sys, std::move(node));
       }}};
  return dca::bridge::subject_main(argc, argv, kinds);
}
