// A learner's exercise 05 that is wrong by one: the sku sells while the stock is not below zero,
// so the last unit is sold twice. Linked into a subject (tests/judge/CMakeLists.txt), it must fail
// the judged spec on the judge's own count of what its entity sold.
#include "scenario.hpp"

namespace shared_database {

caf::expected<std::vector<sku::event>> sku::decide(const state& s, const command& cmd) {
  if (caf::holds_alternative<receive_stock>(cmd))
    return std::vector<event>{stock_received{caf::get<receive_stock>(cmd).units}};
  if (s.stock < 0) // wrong: a stock of 0 still sells
    return make_error(errc::sold_out, "nothing left");
  return std::vector<event>{item_sold{caf::get<buy_item>(cmd).order_id}};
}

sku::state sku::apply(state s, const event& ev) {
  bool delivered = caf::holds_alternative<stock_received>(ev);
  s.stock = delivered ? s.stock + caf::get<stock_received>(ev).units : s.stock - 1;
  s.sold = delivered ? s.sold : s.sold + 1;
  return s;
}

caf::expected<std::vector<username::event>> username::decide(const state& s, const command& cmd) {
  if (s.owner == 0)
    return std::vector<event>{username_claimed{caf::get<claim_username>(cmd).user_id}};
  return make_error(errc::taken, "someone has it");
}

username::state username::apply(state, const event& ev) {
  return username::state{caf::get<username_claimed>(ev).user_id};
}

} // namespace shared_database
