// dca::shared<T>: a variable that several threads read and write. It reads like std::atomic with
// only load and store, which is exactly how the corrupting patterns use shared state:
//   int64_t seen = counter.load();
//   counter.store(seen + 1);   // another thread may have stored in between: an update is lost
// In a normal build each access is a relaxed atomic access (a race condition, but no undefined
// behaviour, so lost updates can be counted). Under ThreadSanitizer it is a plain variable, so
// TSan reports the data race. Under the explorer every access is a scheduling point.
#pragma once

#include <atomic>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "dca/explore/detail/hooks.hpp"

namespace dca {

namespace detail {

template <class T, class = void>
struct is_printable : std::false_type {};

template <class T>
struct is_printable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<T>())>>
    : std::true_type {};

template <class T>
std::string render(const T& x) {
  if constexpr (std::is_same_v<T, bool>) {
    return x ? "true" : "false";
  } else if constexpr (is_printable<T>::value) {
    std::ostringstream out;
    out << x;
    return out.str();
  } else {
    return "?";
  }
}

} // namespace detail

template <class T>
class shared {
public:
  static_assert(std::is_trivially_copyable_v<T>, "dca::shared holds plain values");

  /// `name` appears in the explorer's trace ("load balance = 100").
  explicit shared(const char* name, T initial = T{}) : name_(name), value_(initial) {}

  shared(const shared&) = delete;
  shared& operator=(const shared&) = delete;

  T load(explore::source_location where = explore::source_location::current()) const {
    auto* self = explore::detail::current_thread;
    if (self != nullptr)
      explore::detail::before(*self, explore::detail::op_kind::load, this, name_, where);
    T result = raw_load();
    if (self != nullptr)
      explore::detail::record(*self, detail::render(result));
    else
      explore::detail::maybe_yield();
    return result;
  }

  void store(T desired, explore::source_location where = explore::source_location::current()) {
    auto* self = explore::detail::current_thread;
    if (self != nullptr) {
      explore::detail::before(*self, explore::detail::op_kind::store, this, name_, where);
      explore::detail::record(*self, detail::render(desired));
    }
    raw_store(desired);
  }

  /// One indivisible read-modify-write: what std::atomic::fetch_add does. Returns the old value.
  T fetch_add(T delta, explore::source_location where = explore::source_location::current()) {
    auto* self = explore::detail::current_thread;
    if (self != nullptr)
      explore::detail::before(*self, explore::detail::op_kind::read_modify_write, this, name_,
                              where);
    T old = raw_fetch_add(delta);
    if (self != nullptr)
      explore::detail::record(*self, detail::render(old) + " -> " + detail::render(old + delta));
    return old;
  }

  /// One indivisible read-modify-write, as std::atomic::exchange: stores `desired`, returns the
  /// old value.
  T exchange(T desired, explore::source_location where = explore::source_location::current()) {
    auto* self = explore::detail::current_thread;
    if (self != nullptr)
      explore::detail::before(*self, explore::detail::op_kind::exchange, this, name_, where);
    T old = raw_exchange(desired);
    if (self != nullptr)
      explore::detail::record(*self, detail::render(old) + " -> " + detail::render(desired));
    return old;
  }

  /// One indivisible compare-and-swap, as std::atomic::compare_exchange_strong: when the value
  /// equals `expected`, stores `desired` and returns true; otherwise loads it into `expected` and
  /// returns false.
  bool compare_exchange(T& expected, T desired,
                        explore::source_location where = explore::source_location::current()) {
    auto* self = explore::detail::current_thread;
    if (self != nullptr)
      explore::detail::before(*self, explore::detail::op_kind::compare_exchange, this, name_,
                              where);
    T seen = expected;
    bool swapped = raw_compare_exchange(expected, desired);
    if (self != nullptr && swapped)
      explore::detail::wrote(*self, this);
    if (self != nullptr)
      explore::detail::record(
          *self, swapped ? detail::render(seen) + " -> " + detail::render(desired)
                         : detail::render(expected) + " (not " + detail::render(seen) + ")");
    return swapped;
  }

  const char* name() const noexcept { return name_; }

private:
  const char* name_;
#if defined(__SANITIZE_THREAD__)
  // Plain memory, so ThreadSanitizer sees (and reports) the unsynchronised accesses.
  T raw_load() const {
    return value_;
  }
  void raw_store(T x) {
    value_ = x;
  }
  T raw_fetch_add(T delta) {
    return __atomic_fetch_add(&value_, delta, __ATOMIC_SEQ_CST);
  }
  T raw_exchange(T desired) {
    T old;
    __atomic_exchange(&value_, &desired, &old, __ATOMIC_SEQ_CST);
    return old;
  }
  bool raw_compare_exchange(T& expected, T desired) {
    return __atomic_compare_exchange(&value_, &expected, &desired, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
  }
  T value_;
#else
  T raw_load() const {
    return value_.load(std::memory_order_relaxed);
  }
  void raw_store(T x) {
    value_.store(x, std::memory_order_relaxed);
  }
  T raw_fetch_add(T delta) {
    return value_.fetch_add(delta);
  }
  T raw_exchange(T desired) {
    return value_.exchange(desired);
  }
  bool raw_compare_exchange(T& expected, T desired) {
    return value_.compare_exchange_strong(expected, desired);
  }
  std::atomic<T> value_;
#endif
};

} // namespace dca
