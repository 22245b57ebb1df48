// Exercise 07's ship() across the bridge: a pure function, so the judge calls the learner's in the
// subject (subject_call.hpp) with the shipping state and the entry, and takes back the state. The
// two structs have no inspect of their own (the learner's header is the exercise's), so their
// fields cross one by one in CAF's binary encoding (dca::es::encode), both sides here.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"
#include "dca/es/codec.hpp"

namespace dual_write::judged {

/// The name the subject serves ship() under.
inline const std::string ship_function = "ship";

/// The spawn kinds of the learner's two actors.
inline const std::string shipping_kind = "shipping";
inline const std::string relay_kind = "relay";

/// The judge's ship(): the learner's, run in the subject on `st` and `entry`.
inline void ship_in_subject(shipping_state& st, const stream_entry& entry) {
  auto result = dca::bridge::call_subject(
      ship_function, dca::bridge::detail::encoded(st.handled_through, st.shipped, entry.position,
                                                  entry.order.order_id, entry.order.cents));
  shipping_state next;
  if (dca::es::decode(result, next.handled_through, next.shipped))
    dca::bridge::fail_subject("the submission's ship returned a value that is not a shipping "
                              "state");
  st = std::move(next);
}

/// The subject's side: serves the learner's ship() as ship_function.
inline void serve_ship(dca::bridge::function_table& table) {
  table[ship_function] = [](const std::vector<char>& args) {
    shipping_state st;
    stream_entry entry;
    if (dca::es::decode(args, st.handled_through, st.shipped, entry.position, entry.order.order_id,
                        entry.order.cents))
      throw std::runtime_error{"the judge's shipping state and entry do not decode"};
    ship(st, entry);
    return dca::bridge::detail::encoded(st.handled_through, st.shipped);
  };
}

} // namespace dual_write::judged
