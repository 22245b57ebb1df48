// dca::mutex: a std::mutex whose lock and unlock the explorer can see. It satisfies Lockable, so
// std::lock_guard, std::unique_lock and std::scoped_lock work with it. Under the explorer it is
// modelled, not locked: a thread that wants a held mutex simply is not scheduled, and when no
// thread can move the explorer reports the deadlock with its wait-for cycle.
#pragma once

#include <mutex>

#include "dca/explore/detail/hooks.hpp"

namespace dca {

class mutex {
public:
  /// `name` appears in the explorer's trace and deadlock reports ("T1 holds A, waits for B").
  explicit mutex(const char* name) : name_(name) {}

  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock(explore::source_location where = explore::source_location::current()) {
    if (auto* self = explore::detail::current_thread) {
      explore::detail::before(*self, explore::detail::op_kind::lock, this, name_, where);
      return;
    }
    real_.lock();
  }

  bool try_lock(explore::source_location where = explore::source_location::current()) {
    if (auto* self = explore::detail::current_thread) {
      explore::detail::before(*self, explore::detail::op_kind::try_lock, this, name_, where);
      return explore::detail::try_lock_succeeded(*self, this);
    }
    return real_.try_lock();
  }

  void unlock(explore::source_location where = explore::source_location::current()) {
    if (auto* self = explore::detail::current_thread) {
      explore::detail::before(*self, explore::detail::op_kind::unlock, this, name_, where);
      return;
    }
    real_.unlock();
  }

  const char* name() const noexcept { return name_; }

private:
  const char* name_;
  std::mutex real_;
};

} // namespace dca
