// Decoders by entity type, so tools that do not know the domain at compile time (`dca journal
// verify`) can still check that every payload decodes and matches its stored rendering.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "dca/es/codec.hpp"

namespace dca::es {

class decoder_registry {
public:
  /// Decodes a payload and renders it (caf::deep_to_string), or fails with errc::decode_failed.
  using decoder = std::function<caf::expected<std::string>(const std::vector<char>&)>;

  /// Registers entity type E: its events decode as E::event.
  template <class E>
  void add() {
    decoders_[E::type_name] = [](const std::vector<char>& buf) -> caf::expected<std::string> {
      typename E::event ev;
      if (auto err = decode(buf, ev))
        return err;
      return caf::deep_to_string(ev);
    };
  }

  /// The decoder for `entity_type`, or nullptr when none is registered.
  const decoder* find(const std::string& entity_type) const {
    auto i = decoders_.find(entity_type);
    return i == decoders_.end() ? nullptr : &i->second;
  }

private:
  std::map<std::string, decoder> decoders_;
};

} // namespace dca::es
