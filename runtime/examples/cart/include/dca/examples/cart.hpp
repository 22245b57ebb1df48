// The cart example's domain: an event-sourced shopping cart on dca::es, the program a learner can
// copy after the workshop (main.cpp runs it). A cart takes items until it is checked out; after
// that it refuses changes with a domain error (cart::errc::checked_out). The cart_totals read model
// keeps one row per cart. Amounts are integer cents.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/variant.hpp>

#include "dca/es/decoder_registry.hpp"
#include "dca/es/projection.hpp"

namespace dca::examples::cart {

// -- domain errors: a code the caller can branch on, a message a person can read ------------------

enum class errc : std::uint8_t {
  checked_out = 1,  // the cart was checked out: it takes no more changes
  empty,            // checking out a cart with nothing in it
  invalid_quantity, // adding zero or fewer of something
};

/// The category of every cart error: a caf::atom of at most 10 characters, unique per domain.
constexpr caf::atom_value error_category = caf::atom("cart");
const char* to_string(errc x) noexcept;
/// An error whose one string of context reads "code: detail", so dca::es::render prints it as is.
caf::error make_error(errc code, std::string detail);
bool is(const caf::error& err, errc code) noexcept;

// -- commands and events --------------------------------------------------------------------------

struct add_item {
  std::string sku;
  std::int32_t quantity = 0;
  std::int64_t price_cents = 0;
};
struct check_out {};

struct item_added {
  std::string sku;
  std::int32_t quantity = 0;
  std::int64_t price_cents = 0;
};
struct checked_out {
  std::int64_t total_cents = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add_item& x) {
  return f(caf::meta::type_name("add_item"), x.sku, x.quantity, x.price_cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, check_out&) {
  return f(caf::meta::type_name("check_out"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_added& x) {
  return f(caf::meta::type_name("item_added"), x.sku, x.quantity, x.price_cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checked_out& x) {
  return f(caf::meta::type_name("checked_out"), x.total_cents);
}

struct cart_state {
  std::map<std::string, std::int32_t> quantities; // by sku
  std::int64_t total_cents = 0;
  bool checked_out = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cart_state& x) {
  return f(caf::meta::type_name("cart_state"), x.quantities, x.total_cents, x.checked_out);
}

/// The entity type: plain C++, no actor code (dca/es/entity.hpp says what each member is for).
struct cart {
  static constexpr const char* type_name = "cart"; // the journal's stream type
  using state = cart_state;
  using command = caf::variant<add_item, check_out>;
  using event = caf::variant<item_added, checked_out>;

  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

// -- the read model -------------------------------------------------------------------------------

/// carts(cart, items, total_cents, checked_out): one row per cart, kept by a projection.
class cart_totals final : public es::projection_handler {
public:
  std::string name() const override { return "cart_totals"; }
  caf::error setup(sqlite3* db, const std::string& path) override;
  caf::error handle(sqlite3* db, const std::string& path, const es::event_record& ev) override;
};

struct cart_total {
  std::int64_t items = 0;
  std::int64_t total_cents = 0;
  bool checked_out = false;
};

/// Reads one cart's row from the read model file (nullopt: no such cart).
caf::expected<std::optional<cart_total>> read_cart_total(const std::string& path,
                                                         const std::string& cart_key);

/// Registers the cart's events with `reg`, so `dca journal verify` can decode them.
void register_decoders(es::decoder_registry& reg);

} // namespace dca::examples::cart
