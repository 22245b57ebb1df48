// A Redis command and a Redis reply as bytes, for a relay that carries them between processes (a
// judged grading: the learner's code in the subject, the server connection in the judge). The
// format is ours and small: little-endian fixed-width integers, strings as a 4-byte length and
// the bytes (any bytes: binary values, NULs, '\r\n'), a reply as a kind byte then its value, an
// array as a count then its elements. Decoding believes nothing: every length is checked against
// the bytes left before anything is allocated, nesting is bounded, and every byte must be used.
//   auto bytes = dca::services::encode(dca::services::redis_command{"reader", argv, file, line});
//   dca::services::redis_command c;
//   if (auto why = dca::services::decode(bytes, c)) { /* *why: one line */ }
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dca/services/redis_connection.hpp"

namespace dca::services {

/// A command as it crosses: the name of the connection that ran it (the judge holds one
/// connection per name), its words, and the learner's line that ran it (for the judge's traces).
struct redis_command {
  std::string connection;
  std::vector<std::string> argv; // never empty once decoded
  std::string file;
  std::int32_t line = 0;
};

/// How deep a reply may nest (an array in an array...): XRANGE needs 3, a Lua script's table
/// more. Deeper ones are refused by encode and by decode alike, so neither side recurses without
/// bound on what the other sent.
constexpr std::size_t redis_reply_depth_max = 32;

/// `command` as bytes.
std::vector<char> encode(const redis_command& command);

/// `reply` as bytes. Throws std::length_error when it nests deeper than redis_reply_depth_max or
/// a string or array is over 4 GiB (no reply of the exercises' comes near either).
std::vector<char> encode(const redis_reply& reply);

/// `bytes` as a command: nullopt when they are exactly one, else why not (one line), and `out`
/// is unspecified. An empty argv is refused: a connection asserts it has a command's name.
std::optional<std::string> decode(const std::vector<char>& bytes, redis_command& out);

/// `bytes` as a reply: nullopt when they are exactly one, else why not (one line).
std::optional<std::string> decode(const std::vector<char>& bytes, redis_reply& out);

} // namespace dca::services
