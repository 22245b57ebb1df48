// The errors dca::crdt answers with: bad input from the network is a value, never a crash, and the
// state it was meant for is left unchanged.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace dca::crdt {

enum class errc : std::uint8_t {
  malformed_state = 1, // the bytes do not decode, or the decoded state breaks its invariants
  oversized_state,     // the bytes are over state_limits::bytes_max
  unknown_replica,     // the state or delta names a replica outside the replica_set
};

/// The code's name, e.g. "unknown_replica".
const char* to_string(errc x) noexcept;

/// The category atom of every errc error.
constexpr caf::atom_value error_category = caf::atom("dcacrdt");

/// An error with `detail` as its one-line context; dca::es::render prints it.
caf::error make_error(errc code, std::string detail);

/// True when `err` carries `code` of our category.
bool is(const caf::error& err, errc code) noexcept;

} // namespace dca::crdt
