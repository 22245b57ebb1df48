// DCA_ASSERT: a check that stays on in every build, release included (TigerBeetle's habit). The
// invariants it guards (a schedule replays, a journal position only grows, a bound holds) are what
// the kit teaches, so a broken one stops the program with the expression and where it failed.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace dca::detail {

[[noreturn]] inline void assertion_failed(const char* expression, const char* file, int line,
                                          const char* why) noexcept {
  if (why != nullptr)
    std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", file, line, expression, why);
  else
    std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expression);
  std::fflush(stderr);
  std::abort();
}

} // namespace dca::detail

/// Stops the program when `condition` is false, in every build. Assert one fact per call, so the
/// message names the one that broke.
#define DCA_ASSERT(condition)                                                                      \
  ((condition) ? static_cast<void>(0)                                                              \
               : ::dca::detail::assertion_failed(#condition, __FILE__, __LINE__, nullptr))

/// DCA_ASSERT with a reason in words, for a condition whose expression does not say why it must hold.
#define DCA_ASSERT_MSG(condition, why)                                                             \
  ((condition) ? static_cast<void>(0)                                                              \
               : ::dca::detail::assertion_failed(#condition, __FILE__, __LINE__, (why)))
