// The cart's decisions, its events' effect, its domain errors and its read model (cart.hpp).
#include "dca/examples/cart.hpp"

#include "dca/es/errors.hpp"

#include "dca/es/event_decoders.hpp"
#include "dca/es/sqlite.hpp"

namespace dca::examples::cart {

namespace sql = dca::es::sql;

// -- domain errors --------------------------------------------------------------------------------

const char* to_string(errc x) noexcept {
  switch (x) {
  case errc::checked_out:
    return "checked_out";
  case errc::empty:
    return "empty";
  case errc::invalid_quantity:
    return "invalid_quantity";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string detail) {
  return es::make_domain_error(error_category, static_cast<std::uint8_t>(code), to_string(code),
                               std::move(detail));
}

bool is(const caf::error& err, errc code) noexcept {
  return es::is_domain_error(err, error_category, static_cast<std::uint8_t>(code));
}

// -- the entity -----------------------------------------------------------------------------------

caf::expected<std::vector<cart::event>> cart::decide(const state& s, const command& cmd) {
  if (s.checked_out)
    return make_error(errc::checked_out, "the cart was checked out; start a new cart");
  if (auto* add = caf::get_if<add_item>(&cmd)) {
    if (add->quantity <= 0)
      return make_error(errc::invalid_quantity, std::to_string(add->quantity) + " " + add->sku);
    return std::vector<event>{item_added{add->sku, add->quantity, add->price_cents}};
  }
  if (s.quantities.empty())
    return make_error(errc::empty, "nothing to check out");
  return std::vector<event>{checked_out{s.total_cents}};
}

cart::state cart::apply(state s, const event& ev) {
  if (auto* added = caf::get_if<item_added>(&ev)) {
    s.quantities[added->sku] += added->quantity;
    s.total_cents += added->quantity * added->price_cents;
  } else {
    s.checked_out = true;
  }
  return s;
}

// -- the read model -------------------------------------------------------------------------------

caf::error cart_totals::setup(sqlite3* db, const std::string& path) {
  return sql::exec(db,
                   "CREATE TABLE IF NOT EXISTS carts(cart TEXT PRIMARY KEY, items INTEGER NOT "
                   "NULL, total_cents INTEGER NOT NULL, checked_out INTEGER NOT NULL)",
                   path);
}

caf::error cart_totals::handle(sqlite3* db, const std::string& path, const es::event_record& ev) {
  if (ev.entity.type != cart::type_name)
    return caf::none; // another entity type's event: not this model's
  cart::event e;
  if (auto err = es::decode_event<cart>(ev, e)) // by the type stored with the event
    return err;
  sql::statement st;
  std::int64_t items = 0;
  std::int64_t cents = 0;
  if (auto* added = caf::get_if<item_added>(&e)) {
    items = added->quantity;
    cents = added->quantity * added->price_cents;
  }
  auto done = caf::holds_alternative<checked_out>(e) ? 1 : 0;
  if (auto err = sql::statement::prepare(
          db,
          "INSERT INTO carts(cart, items, total_cents, checked_out) VALUES(?,?,?,?) "
          "ON CONFLICT(cart) DO UPDATE SET items = items + excluded.items, "
          "total_cents = total_cents + excluded.total_cents, "
          "checked_out = max(checked_out, excluded.checked_out)",
          st, path))
    return err;
  st.bind(1, ev.entity.key);
  st.bind(2, items);
  st.bind(3, cents);
  st.bind(4, std::int64_t{done});
  auto rc = st.step();
  return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, db, path, "updating carts");
}

caf::expected<std::optional<cart_total>> read_cart_total(const std::string& path,
                                                         const std::string& cart_key) {
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sql::db_ptr db{raw};
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path, "opening the read model");
  sql::statement st;
  if (auto err = sql::statement::prepare(
          raw, "SELECT items, total_cents, checked_out FROM carts WHERE cart = ?", st, path))
    return err;
  st.bind(1, cart_key);
  rc = st.step();
  if (rc == SQLITE_DONE)
    return std::optional<cart_total>{};
  if (rc != SQLITE_ROW)
    return sql::to_error(rc, raw, path, "reading a cart");
  return std::optional<cart_total>{cart_total{st.int64(0), st.int64(1), st.int64(2) != 0}};
}

void register_decoders(es::decoder_registry& reg) {
  reg.add<cart>();
}

} // namespace dca::examples::cart
