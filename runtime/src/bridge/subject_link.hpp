// The judge's connection to its subject process: started on first use, one request and one answer
// at a time, every answer checked for its shape before anything in it is believed. Private to the
// bridge: stand_in.cpp is its only user.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_addr.hpp"
#include "caf/actor_system.hpp"
#include "caf/message.hpp"

#include "dca/bridge/wire.hpp"

namespace dca::bridge {

/// What the subject says one handler (or start-up) did, in the judge's terms.
struct handler_run {
  std::vector<std::pair<caf::actor, caf::message>> sent; // to a stand-in, in the order sent
  std::vector<caf::message> reply;                       // none or one
  bool quit = false;
};

class subject_link {
public:
  /// The process's one link (the subject named by DCA_SUBJECT).
  static subject_link& instance();

  ~subject_link();
  subject_link(const subject_link&) = delete;
  subject_link& operator=(const subject_link&) = delete;

  /// A new actor number, for a stand-in about to be spawned.
  std::uint64_t reserve();
  /// The stand-in numbered `id` is `stand_in`: messages to `id` go to it.
  void enroll(std::uint64_t id, const caf::actor_addr& stand_in);
  /// The stand-in `id` is gone: the subject forgets its actor before the next request.
  void forget_later(std::uint64_t id);

  /// Spawns the learner's actor `id`; runs its start-up too when `start_now`.
  handler_run spawn(std::uint64_t id, const std::string& kind, const caf::message& args,
                    bool start_now);
  /// Runs the start-up of `id`, spawned without it.
  handler_run start(std::uint64_t id);
  handler_run deliver(std::uint64_t id, const caf::message& content, bool request);

  /// Ends the judge with one line on stderr, "dca judge (KIND): WHAT", and status 4. KIND is the
  /// verdict it asks for: timeout, crash or fail.
  [[noreturn]] void subject_failed(const std::string& kind, const std::string& what);

private:
  subject_link();
  void start();
  caf::message ask(const caf::message& request);
  caf::message exchange(const caf::message& request);
  [[noreturn]] void subject_gone(const char* during);
  handler_run to_judge(const caf::message& answer);
  caf::message to_wire(const caf::message& msg);
  caf::message to_stand_ins(const caf::message& msg);
  caf::actor stand_in_of(std::uint64_t id);

  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_; // serialisation only: no actor runs in it
  std::recursive_mutex mutex_;             // one exchange at a time, from any stand-in's thread
  std::string path_;
  int fd_ = -1;
  int pid_ = -1;
  int timeout_ms_ = 10'000;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, caf::actor_addr> stand_ins_;
  std::vector<std::uint64_t> forgotten_;
};

} // namespace dca::bridge
