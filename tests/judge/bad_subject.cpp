// A subject that misbehaves on purpose, one way per mode (its first argument): the judge must end
// with one line naming what it did, "dca judge (KIND): WHAT", and status 4, never crash or hang.
// Started by the judge through a wrapper script per mode (tests/judge/CMakeLists.txt).
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "caf/event_based_actor.hpp"

#include "dca/bridge/subject_host.hpp"
#include "dca/bridge/wire.hpp"

namespace {

/// A type only this program announces: the judge must refuse a message holding it.
struct forged {
  std::int64_t value = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forged& x) {
  return f(caf::meta::type_name("dca_forged"), x.value);
}

/// A type no side announces: a learner's actor that answers with one cannot be carried, and CAF
/// 0.17's serialiser would write it as nothing without an error.
struct unannounced {
  std::int64_t value = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unannounced& x) {
  return f(caf::meta::type_name("dca_unannounced"), x.value);
}

/// A real subject (subject_main) whose counter handles every message with `handle`.
int serve_counter(int argc, char** argv, caf::scheduled_actor::default_handler handle) {
  auto counter = [handle](caf::actor_system& sys, const caf::message&) {
    return sys.spawn([handle](caf::event_based_actor* self) -> caf::behavior {
      self->set_default_handler(handle);
      return {[](unannounced) {}};
    });
  };
  auto worker = [](caf::actor_system& sys, const caf::message&) {
    return sys.spawn([]() -> caf::behavior { return {}; });
  };
  return dca::bridge::subject_main(argc, argv, {{"counter", counter}, {"worker", worker}});
}

/// The counter answers every request with an `unannounced`.
int serve_unannounced_replies(int argc, char** argv) {
  return serve_counter(argc, argv,
                       [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
                         return caf::make_message(unannounced{7});
                       });
}

/// The counter sends itself a request in every handler: unlike a plain message to itself, which
/// its stand-in sends itself on the judge's side, the judge cannot make that request for it.
int serve_requests_to_itself(int argc, char** argv) {
  return serve_counter(
      argc, argv, [](caf::scheduled_actor* self, caf::message_view&) -> caf::result<caf::message> {
        auto* actor = static_cast<caf::event_based_actor*>(self);
        actor->request(caf::actor_cast<caf::actor>(actor), caf::infinite, std::string{"again"});
        return caf::make_message(std::int64_t{0});
      });
}

struct config : caf::actor_system_config {
  config() {
    set("scheduler.policy", caf::atom("testing"));
    dca::bridge::announce_types(*this);
    add_message_type<forged>("dca_forged");
  }
};

void answer(caf::actor_system& sys, int fd, const caf::message& msg) {
  std::vector<char> bytes;
  dca::bridge::to_bytes(sys, msg, bytes);
  dca::bridge::write_frame(fd, bytes);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4)
    return 64;
  std::string mode = argv[1];
  if (mode == "answers_with_a_value_no_side_announces")
    return serve_unannounced_replies(argc - 1, argv + 1); // argv + 1: MODE --serve-fd N
  if (mode == "sends_itself_a_request")
    return serve_requests_to_itself(argc - 1, argv + 1);
  int fd = std::atoi(argv[3]);
  config cfg;
  caf::actor_system sys{cfg};
  std::vector<char> request;
  if (dca::bridge::read_frame(fd, -1, request) != dca::bridge::frame_status::ok)
    return 2;
  using namespace dca::bridge;
  if (mode == "exits_in_a_handler")
    std::_Exit(0);
  if (mode == "crashes_in_a_handler")
    std::abort();
  if (mode == "hangs_in_a_handler")
    for (;;)
      pause();
  if (mode == "sends_a_malformed_frame")
    write_frame(fd, std::vector<char>(40, '\x7f'));
  if (mode == "sends_an_oversized_frame")
    write_frame(fd, std::vector<char>(frame_bytes_max + 1, '\0'));
  if (mode == "sends_output_that_never_ends")
    for (std::string endless(4096, 'x');;)
      if (write(fd, endless.data(), endless.size()) < 0)
        return 0;
  if (mode == "sends_an_unknown_type")
    answer(sys, fd, caf::make_message(ran_atom::value, forged{42}));
  if (mode == "names_an_actor_the_judge_never_made")
    answer(sys, fd,
           caf::make_message(ran_atom::value,
                             std::vector<handler_result>{
                                 {{{999, caf::make_message(std::int64_t{1})}}, {}, false}}));
  if (mode == "answers_in_the_wrong_shape")
    answer(sys, fd, caf::make_message(ran_atom::value, std::string{"all tests passed"}));
  // Whatever it sent, it waits: the judge must end it.
  for (;;)
    pause();
}
