// An entity type's pure functions across the bridge. Where a learner writes only an entity's
// `decide` and `apply` (dca/es/entity.hpp), the judge hosts the entity itself (its host, its
// journal, its state between commands, the order commands come in) and asks the subject only
// "given this state and this command, what events or error?" and "given this state and this
// event, what state?". The judge's definitions of E::decide and E::apply call decide_in_subject
// and apply_in_subject; the subject serves the learner's with serve_entity. Arguments and results
// are CAF's binary encoding of the values (dca::es::encode), so no type needs announcing.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/make_message.hpp"

#include "dca/bridge/subject_call.hpp"
#include "dca/bridge/subject_host.hpp"
#include "dca/es/codec.hpp"

namespace dca::bridge {

namespace detail {

template <class... Ts>
std::vector<char> encoded(const Ts&... xs) {
  std::vector<char> out;
  if (auto err = dca::es::encode(out, xs...))
    throw std::runtime_error{"a value does not encode: " + caf::to_string(err)};
  return out;
}

/// A refusal as it crosses: its code, category and words (the context's one string, or its
/// rendering): CAF's error holds a type-erased message, which the plain encoding cannot carry.
struct refusal_words {
  std::uint8_t code = 0;
  std::uint64_t category = 0;
  bool has_words = false;
  std::string words;
};

inline refusal_words words_of(const caf::error& err) {
  const auto& ctx = err.context();
  refusal_words out{err.code(), static_cast<std::uint64_t>(err.category()), !ctx.empty(), {}};
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    out.words = ctx.get_as<std::string>(0);
  else if (!ctx.empty())
    out.words = caf::to_string(ctx);
  return out;
}

inline caf::error error_of(const refusal_words& r) {
  auto category = static_cast<caf::atom_value>(r.category);
  return r.has_words ? caf::error{r.code, category, caf::make_message(r.words)}
                     : caf::error{r.code, category};
}

template <class E>
std::string function_name(const char* which) {
  return std::string{E::type_name} + "." + which;
}

} // namespace detail

/// The judge's E::decide: the learner's decide, run in the subject on `s` and `cmd`.
template <class E>
caf::expected<std::vector<typename E::event>> decide_in_subject(const typename E::state& s,
                                                                const typename E::command& cmd) {
  auto name = detail::function_name<E>("decide");
  auto result = call_subject(name, detail::encoded(s, cmd));
  bool accepted = false;
  std::vector<typename E::event> events;
  detail::refusal_words refused;
  if (dca::es::decode(result, accepted, events, refused.code, refused.category, refused.has_words,
                      refused.words))
    fail_subject("the submission's " + name + " returned a value that is not events or an error");
  if (accepted)
    return events;
  return detail::error_of(refused);
}

/// The judge's E::apply: the learner's apply, run in the subject on `s` and `ev`.
template <class E>
typename E::state apply_in_subject(const typename E::state& s, const typename E::event& ev) {
  auto name = detail::function_name<E>("apply");
  typename E::state next;
  if (dca::es::decode(call_subject(name, detail::encoded(s, ev)), next))
    fail_subject("the submission's " + name + " returned a value that is not a state");
  return next;
}

/// The subject's side: serves the learner's E::decide and E::apply under the names the judge
/// calls them ("TYPE.decide", "TYPE.apply").
template <class E>
void serve_entity(function_table& table) {
  table[detail::function_name<E>("decide")] = [](const std::vector<char>& args) {
    typename E::state s;
    typename E::command cmd;
    if (dca::es::decode(args, s, cmd))
      throw std::runtime_error{"the judge's state and command do not decode"};
    auto decided = E::decide(s, cmd);
    detail::refusal_words refused;
    std::vector<typename E::event> events;
    if (decided)
      events = std::move(*decided);
    else
      refused = detail::words_of(decided.error());
    return detail::encoded(static_cast<bool>(decided), events, refused.code, refused.category,
                           refused.has_words, refused.words);
  };
  table[detail::function_name<E>("apply")] = [](const std::vector<char>& args) {
    typename E::state s;
    typename E::event ev;
    if (dca::es::decode(args, s, ev))
      throw std::runtime_error{"the judge's state and event do not decode"};
    return detail::encoded(E::apply(std::move(s), ev));
  };
}

} // namespace dca::bridge
