// Encoding events and snapshots with CAF's `inspect`: a binary payload for the machine and a
// rendering (caf::deep_to_string) for people reading the journal with sqlite3.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>

#include "dca/es/errors.hpp"
#include "dca/es/event_types.hpp"
#include "dca/es/journal.hpp"

namespace dca::es {

/// Serializes `xs...` into `out` (appending).
template <class... Ts>
caf::error encode(std::vector<char>& out, const Ts&... xs) {
  caf::binary_serializer sink{nullptr, out};
  return sink(const_cast<Ts&>(xs)...);
}

/// Deserializes `xs...` from `buf` (not copied); every byte must be consumed.
template <class... Ts>
caf::error decode(byte_view buf, Ts&... xs) {
  try {
    caf::binary_deserializer source{nullptr, buf.data, buf.size};
    if (auto err = source(xs...))
      return make_error(errc::decode_failed, render(err));
    if (source.remaining() != 0)
      return make_error(errc::decode_failed,
                        std::to_string(source.remaining()) + " trailing bytes after the value");
    return caf::none;
  } catch (std::exception& ex) {
    return make_error(errc::decode_failed, ex.what());
  }
}

/// Deserializes `xs...` from `buf`; every byte must be consumed.
template <class... Ts>
caf::error decode(const std::vector<char>& buf, Ts&... xs) {
  return decode(byte_view{buf.data(), buf.size()}, xs...);
}

/// An entity's event ready for the journal. The payload is CAF's encoding of the variant: a
/// one-byte index in the variant as it was when written, then the event. Readers skip that byte and
/// decode the type the journal stores with the event (event_decoders.hpp), so the index never
/// matters.
template <class... Ts>
caf::expected<event_data> to_event_data(const caf::variant<Ts...>& ev) {
  event_data result;
  // Most events are small: one allocation instead of the serializer's growth steps.
  result.payload.reserve(64);
  if (auto err = encode(result.payload, ev))
    return err;
  result.text = caf::deep_to_string(ev);
  result.type = stored_type_of(ev);
  return result;
}

} // namespace dca::es
