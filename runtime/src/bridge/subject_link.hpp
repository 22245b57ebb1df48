// The judge's connection to its subject process: started on first use, one request and one answer
// at a time, every answer checked for its shape before anything in it is believed. Private to the
// bridge: stand_in.cpp and subject_call.cpp are its users.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_addr.hpp"
#include "caf/actor_clock.hpp"
#include "caf/actor_system.hpp"
#include "caf/message.hpp"
#include "caf/response_promise.hpp"

#include "dca/bridge/judge_services.hpp"
#include "dca/bridge/wire.hpp"

namespace dca::bridge {

/// One message a learner's handler sent, in the judge's terms: to a stand-in (null when it has
/// ended). A request (`request` is the subject's number for it) is made by the sender's stand-in
/// with the same timeout (negative: none), awaited or multiplexed as the learner's actor does. A
/// delayed message (`delay_ms` >= 0) is delivered by the judge's clock that much later.
struct sent_message {
  caf::actor to;
  caf::message content;
  std::uint64_t request = 0;
  std::int64_t timeout_ms = -1;
  bool awaited = false;
  std::int64_t delay_ms = -1;
};

/// What the subject says one handler (or start-up) did, in the judge's terms.
struct handler_run {
  std::vector<sent_message> sent;                              // in the order the subject lists
  std::vector<std::pair<std::uint64_t, caf::message>> replies; // judge's request number, reply
  bool quit = false;
  std::int64_t receive_timeout_ns = -1; // the behaviour's afterwards (`after`); negative: none
};

class subject_link {
public:
  /// The process's one link (the subject named by DCA_SUBJECT).
  static subject_link& instance();

  ~subject_link();
  subject_link(const subject_link&) = delete;
  subject_link& operator=(const subject_link&) = delete;

  /// The judge's clock reads `now` (the stand-in's system's): the subject's clock is set to it
  /// before the next request, if it moved.
  void clock_reads(caf::actor_clock::time_point now);

  /// A new actor number, for a stand-in about to be spawned (or an actor of the judge's made
  /// after the learner's function that is given it: spawn_stand_in_making).
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
  /// Runs the handlers of `id` for `contents`, in order (the first a request the judge numbered
  /// `request`, 0: none; the others plain messages, from `senders`, one each, null: none). What
  /// each ran did: at least the first; the subject may stop early (see deliver_atom).
  std::vector<handler_run> deliver(std::uint64_t id, std::vector<caf::message> contents,
                                   std::uint64_t request,
                                   const std::vector<caf::strong_actor_ptr>& senders);
  /// Runs the response handler of `id` for its request the subject numbered `request`.
  handler_run respond(std::uint64_t id, std::uint64_t request, const caf::message& content);

  /// Runs the receive timeout handler of `id`, whose timeout fired on the judge's clock.
  handler_run time_out(std::uint64_t id);

  /// Runs the learner's function `function` on `args` in the subject; its encoded result. Each
  /// statement it runs meanwhile goes to `statements`, offered as the service ("statement", 0)
  /// for this call only (none: a statement fails the run).
  std::vector<char> call(const std::string& function, const std::vector<char>& args,
                         const judge_service& statements = {});

  // -- judge services (judge_services.hpp) ---------------------------------------------------

  /// Offers `serve` as (kind, id) until withdraw(kind, id); `id` 0 picks a new id (returned).
  std::uint64_t offer(const std::string& kind, std::uint64_t id, judge_service serve);
  void withdraw(const std::string& kind, std::uint64_t id);

  /// Keeps `promise`, made by the stand-in `owner` for the request it numbered with this, until
  /// the learner's actor answers it (take_promise) or the stand-in ends.
  std::uint64_t keep_promise(std::uint64_t owner, caf::response_promise promise);
  /// The promise of the judge's request `request`, taken out; nullopt when there is none (the
  /// subject answered a request that was never made, or twice).
  std::optional<caf::response_promise> take_promise(std::uint64_t request);

  /// Ends the judge with one line on stderr, "dca judge (KIND): WHAT", and status 4. KIND is the
  /// verdict it asks for: timeout, crash or fail.
  [[noreturn]] void subject_failed(const std::string& kind, const std::string& what);

private:
  subject_link();
  void start();
  caf::message ask(const caf::message& request, const std::string& who = "actors");
  caf::message converse(const caf::message& request, const std::string& who, bool ending = false);
  caf::message serve(const caf::message& frame, const std::string& who);
  caf::message exchange(const caf::message& request, std::chrono::steady_clock::duration& budget);
  [[noreturn]] void subject_gone(const char* during);
  std::vector<handler_run> to_judge(const caf::message& answer, std::size_t runs_max);
  handler_run to_judge_one(const caf::message& answer) { return to_judge(answer, 1).front(); }
  handler_run to_run(const handler_result& result);
  caf::message to_wire(const caf::message& msg);
  caf::message to_stand_ins(const caf::message& msg);
  caf::actor stand_in_of(std::uint64_t id);
  std::uint64_t number_of(const caf::actor& x);

  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_; // serialisation only: no actor runs in it
  std::recursive_mutex mutex_;             // one exchange at a time, from any stand-in's thread
  std::string path_;
  int fd_ = -1;
  int pid_ = -1;
  int timeout_ms_ = 10'000;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, caf::actor_addr> stand_ins_; // and the judge's actors named to it
  std::vector<std::uint64_t> forgotten_;
  // The judge's requests to learner actors not yet answered: number -> (stand-in, promise).
  std::map<std::uint64_t, std::pair<std::uint64_t, caf::response_promise>> promises_;
  std::uint64_t requests_count_ = 0;
  std::map<std::pair<std::string, std::uint64_t>, judge_service> services_; // (kind, id)
  std::uint64_t services_count_ = 0;
  caf::actor_clock::time_point now_;         // the judge's time at the latest clock_reads
  caf::actor_clock::time_point subject_now_; // the time the subject's clock was last set to
};

} // namespace dca::bridge
