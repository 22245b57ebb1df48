// Judge services: what the judge answers for the learner's code while that code runs in the
// subject, in the middle of any exchange (a spawn function, a start-up, a handler, a response
// handler, a pure function's call). The judge offers a service under a kind ("statement",
// "journal", one day "redis") and an id; the subject's side of a relay sends one request frame,
// (service, KIND, ID, BYTES), and blocks until the judge's answer frame. The judge runs the service
// on the thread that made the exchange, where its scheduler (or explorer) runs the stand-in, so
// whatever the service does is a step of the judge's schedule, never of the subject's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caf/message.hpp"

namespace dca::bridge {

/// The judge's side of one service: an encoded request in, the answer frame out (a message of the
/// bridge's announced types, e.g. (served, BYTES)). It may end the judge (fail_subject) on a
/// request that breaks its contract; what else it throws gives the exchange up (see ask_service).
using judge_service = std::function<caf::message(const std::vector<char>& request)>;

/// A service the judge offers the subject from construction to destruction, under `kind` and an
/// id the link picks (never 0: 0 names "the current call's" service, as the statement relay's).
/// A request for a service not (or no longer) offered ends the judge with its one line (fail).
class service_offer {
public:
  service_offer(std::string kind, judge_service serve);
  ~service_offer();
  service_offer(const service_offer&) = delete;
  service_offer& operator=(const service_offer&) = delete;

  const std::string& kind() const noexcept { return kind_; }
  std::uint64_t id() const noexcept { return id_; }

private:
  std::string kind_;
  std::uint64_t id_ = 0;
};

/// The subject's side: sends (service, KIND, ID, REQUEST) to the judge and returns its answer
/// frame. Throws judge_gave_up when the judge answers (abandoned): it has given the exchange up
/// (the explorer cut its schedule short) and answers nothing more in it. Throws std::logic_error
/// outside an exchange with the judge.
caf::message ask_service(const std::string& kind, std::uint64_t id, std::vector<char> request);

/// Thrown in the subject at a request the judge no longer answers: not a std::exception, so a
/// learner's catch of std::exception does not take it (a catch (...) does: the link then ends a
/// subject that keeps asking, see abandoned_requests_max).
struct judge_gave_up {};

/// Requests the learner's code may still make once the judge gave its exchange up: each is
/// answered (abandoned) at once, and one more ends the judge (fail).
constexpr std::size_t abandoned_requests_max = 1'000;

} // namespace dca::bridge
