// The judge's calls of the learner's pure functions: one exchange each on the subject's link.
#include "dca/bridge/subject_call.hpp"

#include "subject_link.hpp"

namespace dca::bridge {

std::vector<char> call_subject(const std::string& function, const std::vector<char>& args) {
  return subject_link::instance().call(function, args);
}

void fail_subject(const std::string& what) {
  subject_link::instance().subject_failed("fail", what);
}

} // namespace dca::bridge
