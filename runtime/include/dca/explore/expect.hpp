// Checking an invariant from inside an explored thread: `dca::explore::expect(balance >= 0,
// "the balance went negative")`. A scenario's `check` runs only once every thread has finished;
// expect and fail end the schedule at the moment the invariant breaks, as corrupted, with the
// message and the thread that saw it. Outside an exploration they throw invariant_failure, an
// ordinary exception.
#pragma once

#include <stdexcept>
#include <string>

namespace dca::explore {

/// Thrown by fail(); the thread explorer reports it as outcome::invariant_broken.
class invariant_failure : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// Ends the schedule as corrupted: `what` says which invariant broke, in the scenario's words.
[[noreturn]] inline void fail(const std::string& what) {
  throw invariant_failure(what);
}

/// fail(what) unless `holds`.
inline void expect(bool holds, const char* what) {
  if (!holds)
    fail(what);
}

} // namespace dca::explore
