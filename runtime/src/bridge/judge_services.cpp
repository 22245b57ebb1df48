// Both ends of a judge service (dca/bridge/judge_services.hpp): the judge's offer, kept on the
// subject's link for as long as it lives, and the subject's request, one frame out and one back on
// the socket of the exchange the learner's code runs in.
#include "dca/bridge/judge_services.hpp"

#include <utility>

#include "caf/make_message.hpp"

#include "dca/bridge/wire.hpp"
#include "judge_channel.hpp"
#include "subject_link.hpp"

namespace dca::bridge {

service_offer::service_offer(std::string kind, judge_service serve) : kind_(std::move(kind)) {
  id_ = subject_link::instance().offer(kind_, 0, std::move(serve));
}

service_offer::~service_offer() {
  subject_link::instance().withdraw(kind_, id_);
}

caf::message ask_service(const std::string& kind, std::uint64_t id, std::vector<char> request) {
  auto answer = ask_judge(caf::make_message(service_atom::value, kind, id, std::move(request)));
  if (answer.match_elements<abandoned_atom>())
    throw judge_gave_up{};
  return answer;
}

} // namespace dca::bridge
