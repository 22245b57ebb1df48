// The entity the cluster tests host: a counter whose every command appends one event, so acks
// and journal events can be matched one for one.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/variant.hpp>

struct add {
  std::int64_t amount = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add& x) {
  return f(caf::meta::type_name("add"), x.amount);
}

struct added {
  std::int64_t amount = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, added& x) {
  return f(caf::meta::type_name("added"), x.amount);
}

struct counter_state {
  std::int64_t total = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, counter_state& x) {
  return f(caf::meta::type_name("counter_state"), x.total);
}

struct counter {
  static constexpr const char* type_name = "counter";
  using state = counter_state;
  using command = caf::variant<add>;
  using event = caf::variant<added>;

  static caf::expected<std::vector<event>> decide(const state&, const command& cmd) {
    return std::vector<event>{added{caf::get<add>(cmd).amount}};
  }

  static state apply(state s, const event& ev) {
    s.total += caf::get<added>(ev).amount;
    return s;
  }
};
