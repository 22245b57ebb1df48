// Decoding a stored event by the type the journal stores with it (event_types.hpp), for replay,
// projections and `dca journal verify`. An entity reads its current event types and, when it
// declares them, older layouts (`legacy_events`) that it upcasts to the current ones on replay, the
// way Akka's event adapters and EventStoreDB's upcasters do:
//
//   struct item_added_v1 { std::string sku; std::int32_t quantity; };   // inspect: "item_added"
//   struct item_added { std::string sku; std::int32_t quantity; std::int64_t price_cents; };
//   template <> constexpr std::uint32_t dca::es::event_version<cart::item_added> = 2;
//   struct cart {
//     using event = caf::variant<cart_opened, item_added, checked_out>;
//     using legacy_events = dca::es::event_list<item_added_v1>;
//     static item_added upcast(item_added_v1 old) { return {old.sku, old.quantity, 0}; }
//   };
//
// A stored type the entity does not read is refused with errc::event_type_unknown: replay stops
// and the entity does not start, rather than apply a guess.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/deep_to_string.hpp>
#include <caf/expected.hpp>
#include <caf/variant.hpp>

#include "dca/assert.hpp"
#include "dca/es/codec.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/event_types.hpp"
#include "dca/es/journal.hpp"

namespace dca::es {

namespace detail {

template <class T, class Variant>
struct is_alternative : std::false_type {};

template <class T, class... Ts>
struct is_alternative<T, caf::variant<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {
};

/// E::legacy_events when E declares it, else an empty list.
template <class E, class = void>
struct legacy_events_of {
  using type = event_list<>;
};

template <class E>
struct legacy_events_of<E, std::void_t<typename E::legacy_events>> {
  using type = typename E::legacy_events;
};

template <class E, class T, class = void>
struct has_upcast : std::false_type {};

template <class E, class T>
struct has_upcast<E, T, std::void_t<decltype(E::upcast(std::declval<T>()))>> : std::true_type {};

/// Upcasts an older layout one version at a time (v1 -> v2 -> v3) until it is one of E's events.
template <class E, class T>
typename E::event upcast_to_current(T x) {
  if constexpr (is_alternative<T, typename E::event>::value) {
    return typename E::event{std::move(x)};
  } else {
    static_assert(has_upcast<E, T>::value,
                  "each type in E::legacy_events needs `static Newer upcast(Older)` in E");
    return upcast_to_current<E>(E::upcast(std::move(x)));
  }
}

} // namespace detail

/// The stored types entity E reads, each with its decoder. Built once per entity type.
template <class E>
class event_decoders {
public:
  using event = typename E::event;

  struct entry {
    std::string stored_type;
    bool legacy; // an older layout, upcast on decoding
    caf::error (*decode)(byte_view body, event& out);
    caf::expected<std::string> (*render)(byte_view body); // as written, not upcast
  };

  static const event_decoders& instance() {
    static const event_decoders decoders;
    return decoders;
  }

  /// The decoder of `stored_type`, or null when E does not read it.
  const entry* find(std::string_view stored_type) const {
    for (auto& e : entries_)
      if (e.stored_type == stored_type)
        return &e;
    return nullptr;
  }

  /// E's stored types for an error message: "cart_opened, item_added@2, item_added (upcast)".
  std::string known_types() const {
    std::string result;
    for (auto& e : entries_) {
      if (!result.empty())
        result += ", ";
      result += e.stored_type;
      if (e.legacy)
        result += " (upcast)";
    }
    return result;
  }

  /// errc::event_type_unknown for `stored_type`, naming what E reads.
  caf::error unknown(std::string_view stored_type) const {
    return make_error(errc::event_type_unknown, "stored type \"" + std::string{stored_type} +
                                                    "\" is not an event of " + E::type_name +
                                                    " (it reads " + known_types() + ")");
  }

  /// The decoder of `stored_type` and the event's bytes in `payload` (after the variant index it
  /// was written with), or why there are none.
  caf::error lookup(std::string_view stored_type, byte_view payload, const entry*& dec,
                    byte_view& body) const {
    dec = find(stored_type);
    if (dec == nullptr)
      return unknown(stored_type);
    if (payload.size == 0)
      return make_error(errc::decode_failed, "empty payload");
    body = byte_view{payload.data + 1, payload.size - 1};
    return caf::none;
  }

private:
  event_decoders() {
    add_current(static_cast<event*>(nullptr));
    add_legacy(static_cast<typename detail::legacy_events_of<E>::type*>(nullptr));
  }

  template <class... Ts>
  void add_current(caf::variant<Ts...>*) {
    (add<Ts>(false), ...);
  }

  template <class... Ts>
  void add_legacy(event_list<Ts...>*) {
    (add<Ts>(true), ...);
  }

  template <class T>
  void add(bool legacy) {
    DCA_ASSERT_MSG(find(stored_type_of<T>()) == nullptr,
                   "two event types of one entity have the same stored type: specialize "
                   "dca::es::event_version for the newer layout");
    entries_.push_back(entry{stored_type_of<T>(), legacy, &decode_as<T>, &render_as<T>});
  }

  template <class T>
  static caf::error decode_as(byte_view body, event& out) {
    T x;
    if (auto err = decode(body, x))
      return err;
    out = detail::upcast_to_current<E>(std::move(x));
    return caf::none;
  }

  template <class T>
  static caf::expected<std::string> render_as(byte_view body) {
    T x;
    if (auto err = decode(body, x))
      return err;
    return caf::deep_to_string(x);
  }

  std::vector<entry> entries_;
};

/// Decodes a stored event of E by its stored type, upcasting an older layout. Fails with
/// errc::event_type_unknown when E reads no such type, errc::decode_failed when the payload is not
/// one.
template <class E>
caf::error decode_event(std::string_view stored_type, byte_view payload, typename E::event& out) {
  const typename event_decoders<E>::entry* dec = nullptr;
  byte_view body;
  if (auto err = event_decoders<E>::instance().lookup(stored_type, payload, dec, body))
    return err;
  return dec->decode(body, out);
}

/// decode_event for a record read with read_all or read_stream (projections).
template <class E>
caf::error decode_event(const event_record& rec, typename E::event& out) {
  return decode_event<E>(rec.type, byte_view{rec.payload.data(), rec.payload.size()}, out);
}

/// Renders a stored event of E as it was written (not upcast): what its stored text must say.
template <class E>
caf::expected<std::string> render_stored_event(std::string_view stored_type, byte_view payload) {
  const typename event_decoders<E>::entry* dec = nullptr;
  byte_view body;
  if (auto err = event_decoders<E>::instance().lookup(stored_type, payload, dec, body))
    return err;
  return dec->render(body);
}

} // namespace dca::es
