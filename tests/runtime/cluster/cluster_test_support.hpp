// What the cluster tests share: an echo server that counts its calls, and a way to ask an actor on
// a simulated node and get the answer (or the error's text) back.
#pragma once

#include "sim_network.hpp"

#include <memory>
#include <string>

#include "dca/es/errors.hpp"

/// Replies 2x and counts the calls it served.
inline caf::behavior counting_echo(caf::event_based_actor*, std::shared_ptr<int> served) {
  return {[served](std::int64_t x) {
    ++*served;
    return x * 2;
  }};
}

/// An answer as text: "reply N", or the error rendered on one line.
using answer_text = std::shared_ptr<std::string>;

/// Sends `xs...` from a fresh actor on `from` as a request bounded by `timeout`; the answer
/// lands in the returned text once the network has run far enough.
template <class Reply, class... Ts>
answer_text ask_on(sim_node& from, const caf::actor& dest, std::chrono::milliseconds timeout,
                   Ts... xs) {
  auto out = std::make_shared<std::string>();
  from.sys.spawn([=](caf::event_based_actor* self) {
    self->request(dest, timeout, xs...)
        .then([=](const Reply& r) { *out = "reply " + caf::deep_to_string(r); },
              [=](caf::error& e) { *out = dca::es::render(e); });
  });
  return out;
}
