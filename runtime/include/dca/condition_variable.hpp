// dca::condition_variable: a std::condition_variable_any whose waits and notifications the
// explorer can see. Under the explorer it is modelled: a wait releases the mutex and the thread is
// not scheduled until a notification picks it (which waiter notify_one wakes is the scheduler's
// choice, so every choice is explored), then it re-locks the mutex as a step of its own. A wait
// nobody will notify is reported as the deadlock it is; `options::spurious_wakeups` lets waits
// also end without a notification, as the standard allows.
#pragma once

#include <condition_variable>
#include <mutex>

#include "dca/explore/detail/hooks.hpp"
#include "dca/mutex.hpp"

namespace dca {

class condition_variable {
public:
  /// `name` appears in the explorer's trace and deadlock reports ("T1 waits for not_empty").
  explicit condition_variable(const char* name) : name_(name) {}

  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  /// Releases `lock`, waits for a notification, and locks it again.
  void wait(std::unique_lock<dca::mutex>& lock,
            explore::source_location where = explore::source_location::current()) {
    if (auto* self = explore::detail::current_thread) {
      explore::detail::before(*self, explore::detail::op_kind::wait, this, name_, where,
                              lock.mutex());
      explore::detail::before(*self, explore::detail::op_kind::wake, this, name_, where,
                              lock.mutex());
      return;
    }
    real_.wait(lock);
  }

  /// Waits until `ready()` holds, checking it again after every wake-up.
  template <class Predicate>
  void wait(std::unique_lock<dca::mutex>& lock, Predicate ready,
            explore::source_location where = explore::source_location::current()) {
    while (!ready())
      wait(lock, where);
  }

  void notify_one(explore::source_location where = explore::source_location::current()) {
    if (auto* self = explore::detail::current_thread) {
      explore::detail::before(*self, explore::detail::op_kind::notify_one, this, name_, where);
      return;
    }
    real_.notify_one();
  }

  void notify_all(explore::source_location where = explore::source_location::current()) {
    if (auto* self = explore::detail::current_thread) {
      explore::detail::before(*self, explore::detail::op_kind::notify_all, this, name_, where);
      return;
    }
    real_.notify_all();
  }

  const char* name() const noexcept { return name_; }

private:
  const char* name_;
  std::condition_variable_any real_;
};

} // namespace dca
