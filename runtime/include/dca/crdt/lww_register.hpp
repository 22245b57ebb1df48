// A last-writer-wins register: one value and the timestamp of the write that set it; merge keeps
// the write with the larger (timestamp, writer). It converges, but the winner is chosen by the
// writers' wall clocks: a write that really came later loses to one from a clock that runs ahead,
// and of two concurrent read-modify-writes one is discarded whole. It is here as the contrast to
// the OR-Set (Jepsen's Riak test): the exercise counts the acknowledged adds it loses.
#pragma once

#include <cstdint>
#include <tuple>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/crdt/errors.hpp"
#include "dca/crdt/replica_id.hpp"

namespace dca::crdt {

template <class T>
class lww_register {
public:
  /// Writes `x` at `timestamp_ms` by `replica`'s own clock; returns the delta (the whole register).
  lww_register assign(const replica_id& replica, T x, std::uint64_t timestamp_ms) {
    lww_register delta;
    delta.value_ = std::move(x);
    delta.timestamp_ms_ = timestamp_ms;
    delta.writer_ = replica;
    merge(delta);
    return delta;
  }

  /// Keeps the later write by (timestamp, writer), and by value when both are equal, so merge is
  /// commutative even when one replica wrote twice within one millisecond.
  void merge(const lww_register& other) {
    if (std::tie(timestamp_ms_, writer_, value_) <
        std::tie(other.timestamp_ms_, other.writer_, other.value_)) {
      value_ = other.value_;
      timestamp_ms_ = other.timestamp_ms_;
      writer_ = other.writer_;
    }
  }

  const T& value() const noexcept { return value_; }
  std::uint64_t timestamp_ms() const noexcept { return timestamp_ms_; }

  /// A decoded register must be written by a known replica (or never written).
  caf::error validate(const replica_set& known) const {
    if (writer_.empty() && timestamp_ms_ == 0)
      return caf::none;
    if (known.count(writer_) == 0)
      return make_error(errc::unknown_replica,
                        "the register was written by replica '" + writer_ + "', not one of ours");
    return caf::none;
  }

  friend bool operator==(const lww_register& a, const lww_register& b) {
    return std::tie(a.timestamp_ms_, a.writer_, a.value_) ==
           std::tie(b.timestamp_ms_, b.writer_, b.value_);
  }
  friend bool operator!=(const lww_register& a, const lww_register& b) { return !(a == b); }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, lww_register& x) {
    return f(caf::meta::type_name("lww_register"), x.value_, x.timestamp_ms_, x.writer_);
  }

private:
  T value_{};
  std::uint64_t timestamp_ms_ = 0;
  replica_id writer_;
};

} // namespace dca::crdt
