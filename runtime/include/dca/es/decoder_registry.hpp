// Decoders by entity type, so tools that do not know the domain at compile time (`dca journal
// verify`) can still check that every payload decodes as the type stored with it and matches its
// stored rendering. A program registers its own entity types with `add<E>()`; a domain library
// offers one function that registers all of its types (bank::register_decoders, cart's).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "dca/es/event_decoders.hpp"

namespace dca::es {

class decoder_registry {
public:
  /// Decodes a payload of the stored type `type` and renders it as written (caf::deep_to_string),
  /// or fails with errc::event_type_unknown or errc::decode_failed.
  using decoder =
      std::function<caf::expected<std::string>(std::string_view type, const std::vector<char>&)>;

  /// Registers entity type E: the events of its streams decode as the types E reads, current and
  /// legacy (event_decoders.hpp).
  template <class E>
  void add() {
    decoders_[E::type_name] = [](std::string_view type,
                                 const std::vector<char>& buf) -> caf::expected<std::string> {
      return render_stored_event<E>(type, byte_view{buf.data(), buf.size()});
    };
  }

  /// The decoder for `entity_type`, or nullptr when none is registered.
  const decoder* find(const std::string& entity_type) const {
    auto i = decoders_.find(entity_type);
    return i == decoders_.end() ? nullptr : &i->second;
  }

  /// How many entity types are registered.
  std::size_t size() const noexcept { return decoders_.size(); }

private:
  std::map<std::string, decoder> decoders_;
};

} // namespace dca::es
