// What each event is stored as: its type name (from its inspect's caf::meta::type_name) and, when
// its layout has changed, its version. The journal keeps this "stored type" with every event, and
// replay decodes the type the journal names (event_decoders.hpp), never a position in the entity's
// variant: adding an event type anywhere in `E::event` cannot make old events mean something else.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include <caf/deep_to_string.hpp>
#include <caf/variant.hpp>

namespace dca::es {

/// The layout version of event type T. Specialize it when T's fields change, and keep the old
/// layout as a struct of its own (same inspect type_name) in the entity's `legacy_events`:
///   template <> constexpr std::uint32_t dca::es::event_version<item_added> = 2;
template <class T>
constexpr std::uint32_t event_version = 1;

/// A list of event types: an entity's `legacy_events` (older layouts it can still read).
template <class... Ts>
struct event_list {};

/// The event's name from its rendering: "deposited" for "deposited(500)".
inline std::string event_name(const std::string& rendering) {
  auto paren = rendering.find('(');
  return paren == std::string::npos ? rendering : rendering.substr(0, paren);
}

/// T's inspect type_name, e.g. "item_added" (rendered once from a default-constructed T).
template <class T>
const std::string& type_name_of() {
  static_assert(std::is_default_constructible_v<T>, "an event type must be default constructible");
  static const std::string name = event_name(caf::deep_to_string(T{}));
  return name;
}

/// How the journal stores T's type: its name, with "@N" when event_version<T> is N > 1
/// ("item_added", "item_added@2"). Events written before versions existed are version 1.
template <class T>
const std::string& stored_type_of() {
  static const std::string stored =
      event_version<T> == 1 ? type_name_of<T>()
                            : type_name_of<T>() + "@" + std::to_string(event_version<T>);
  return stored;
}

/// The stored type of the event a variant holds.
template <class... Ts>
const std::string& stored_type_of(const caf::variant<Ts...>& ev) {
  return caf::visit(
      [](const auto& x) -> const std::string& {
        return stored_type_of<std::decay_t<decltype(x)>>();
      },
      ev);
}

} // namespace dca::es
