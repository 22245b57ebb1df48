// Exercise 05, message-passing track (the reference): every command for a SKU goes to its one
// entity ("sku-42" on dca::es), which decides it against the stock it alone owns, one command at a
// time; the workers stay stateless, they only route. Usernames the same way: the name is the key.
#include "scenario.hpp"

namespace shared_database {

// [slide:sku]
caf::expected<std::vector<sku::event>> sku::decide(const state& s, const command& cmd) {
  if (const auto* delivery = caf::get_if<receive_stock>(&cmd))
    return std::vector<event>{stock_received{delivery->units}};
  const auto& order = caf::get<buy_item>(cmd);
  if (s.stock <= 0) // decided where the stock lives: no other buy can come in between
    return make_error(errc::sold_out,
                      "sku has no stock left for order " + std::to_string(order.order_id));
  return std::vector<event>{item_sold{order.order_id}};
}
// [/slide:sku]

sku::state sku::apply(state s, const event& ev) {
  if (const auto* delivery = caf::get_if<stock_received>(&ev)) {
    s.stock += delivery->units;
    return s;
  }
  s.stock -= 1;
  s.sold += 1;
  return s;
}

caf::expected<std::vector<username::event>> username::decide(const state& s, const command& cmd) {
  const auto& claim = caf::get<claim_username>(cmd);
  if (s.owner != 0)
    return make_error(errc::taken, "the name belongs to user " + std::to_string(s.owner));
  return std::vector<event>{username_claimed{claim.user_id}};
}

username::state username::apply(state s, const event& ev) {
  s.owner = caf::get<username_claimed>(ev).user_id;
  return s;
}

} // namespace shared_database
