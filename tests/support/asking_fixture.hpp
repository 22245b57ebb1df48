// CAF's deterministic test_coordinator_fixture with the one way the dca::es tests ask an actor: the
// fixture's `self` sends the request, every actor runs until nothing is left, and the answer (or
// the error it got) comes back as caf::expected. A request that got no reply at all fails the test.
#pragma once

#include <utility>

#include "caf_doctest.hpp"

struct asking_fixture : test_coordinator_fixture<> {
  /// The answer to a request `self` has sent (`h`): runs every actor, then reads the reply.
  template <class T, class Handle>
  caf::expected<T> reply(Handle h) {
    consume_messages();
    caf::expected<T> result{caf::error{}};
    REQUIRE_MESSAGE(self->has_next_message(), "no reply");
    h.receive([&](T& x) { result = std::move(x); }, [&](caf::error& err) { result = err; });
    return result;
  }

  /// Sends `xs...` to `dest` as a request from `self` and returns its answer.
  template <class T, class... Ts>
  caf::expected<T> ask(const caf::actor& dest, Ts&&... xs) {
    return reply<T>(self->request(dest, caf::infinite, std::forward<Ts>(xs)...));
  }
};
