// dca::thread and dca::yield: threads the explored program starts and joins itself, and the yield
// of a spin loop. Outside an exploration they are a std::thread and std::this_thread::yield. Under
// the explorer, starting a thread is a step of the thread that starts it (the new thread gets the
// next column of the trace), a join waits for the thread to finish, and a thread that yields is
// not scheduled again until something it read since its last yield has changed, so a spin loop
// costs one step per change instead of blowing up the search.
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "dca/explore/detail/hooks.hpp"

namespace dca {

class thread {
public:
  /// Starts `body`; `name` is its column header in the explorer's trace ("T3 worker").
  thread(std::string name, std::function<void()> body,
         explore::source_location where = explore::source_location::current()) {
    if (auto* self = explore::detail::current_thread)
      explored_ = explore::detail::spawn(*self, std::move(name), std::move(body), where);
    else
      real_ = std::thread{std::move(body)};
  }

  thread(const thread&) = delete;
  thread& operator=(const thread&) = delete;

  /// A thread must be joined before it is destroyed, as a std::thread must.
  ~thread() = default;

  void join(explore::source_location where = explore::source_location::current()) {
    if (explored_ != nullptr) {
      if (auto* self = explore::detail::current_thread)
        explore::detail::before(*self, explore::detail::op_kind::join, explored_, "join", where,
                                explored_);
      explored_ = nullptr;
      return;
    }
    real_.join();
  }

private:
  const void* explored_ = nullptr; // the explored thread, until joined
  std::thread real_;
};

/// Gives up the processor in a spin loop: `while (!ready.load()) dca::yield();`.
inline void yield(explore::source_location where = explore::source_location::current()) {
  if (auto* self = explore::detail::current_thread) {
    explore::detail::before(*self, explore::detail::op_kind::yield, nullptr, "yield", where);
    return;
  }
  std::this_thread::yield();
}

} // namespace dca
