// CRDT states and deltas as bytes, for the network and for disk, with the checks a receiver owes
// to input it did not write: a size limit before decoding, every byte consumed, the type's own
// invariants (validate), and only known replicas. Any failure is an error value and the caller's
// state is untouched (decode returns a new value; merge_bytes merges only a checked one).
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "dca/assert.hpp"
#include "dca/crdt/errors.hpp"
#include "dca/crdt/replica_id.hpp"
#include "dca/es/codec.hpp"

namespace dca::crdt {

/// What a receiver accepts.
struct state_limits {
  /// The largest encoded state or delta, in bytes.
  std::size_t bytes_max = std::size_t{1} << 20;
};

/// The bytes of `x` (CAF's binary inspect encoding).
template <class T>
std::vector<char> encode(const T& x) {
  std::vector<char> out;
  auto err = es::encode(out, x);
  DCA_ASSERT(!err); // a CRDT holds strings, integers and containers only: encoding cannot fail
  return out;
}

namespace detail {

template <class T, class = void>
struct has_normalize : std::false_type {};

template <class T>
struct has_normalize<T, std::void_t<decltype(std::declval<T&>().normalize())>> : std::true_type {};

} // namespace detail

/// Decodes a T from untrusted bytes: oversized, malformed (undecodable, trailing bytes, broken
/// invariants) and unknown-replica input is refused with a one-line error naming what was wrong.
template <class T>
caf::expected<T> decode(const std::vector<char>& bytes, const state_limits& limits,
                        const replica_set& known) {
  if (bytes.size() > limits.bytes_max)
    return make_error(errc::oversized_state,
                      std::to_string(bytes.size()) + " bytes, over the limit of " +
                          std::to_string(limits.bytes_max) + " (state_limits::bytes_max)");
  T x;
  if (auto err = es::decode(bytes, x))
    return make_error(errc::malformed_state, "the bytes do not decode: " + es::render(err));
  if constexpr (detail::has_normalize<T>::value)
    x.normalize();
  if (auto err = x.validate(known))
    return err;
  return x;
}

/// Decodes and merges a delta from untrusted bytes into `into`; on any error `into` is unchanged.
template <class T>
caf::error merge_bytes(T& into, const std::vector<char>& bytes, const state_limits& limits,
                       const replica_set& known) {
  auto delta = decode<T>(bytes, limits, known);
  if (!delta)
    return std::move(delta.error());
  into.merge(*delta);
  return caf::none;
}

} // namespace dca::crdt
