// A learner-like actor that relies on receive timeouts (CAF 0.17's `after`), for the judge's
// receive-timeout tests: the same code runs in process (receive_timeout_test.cpp) and in a subject
// behind a stand-in (receive_timeout_subject.cpp), and the two must say the same at the same
// virtual times.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/after.hpp"
#include "caf/behavior.hpp"
#include "caf/event_based_actor.hpp"

namespace dca::judge_test {

/// Tells `report` "got X" for each int, and "idle N" each time its timeout passes with nothing
/// received: 100 ms at first, 250 ms after its first idle (a become from the timeout handler),
/// none after its third. Every message resets the timeout, as CAF does.
inline caf::behavior idling(caf::event_based_actor* self, caf::actor report,
                            std::shared_ptr<int> idles, std::chrono::milliseconds timeout) {
  auto on_int = [=](int x) { self->send(report, "got " + std::to_string(x)); };
  if (*idles >= 3)
    return {on_int};
  return {on_int, caf::after(timeout) >> [=] {
            ++*idles;
            self->send(report, "idle " + std::to_string(*idles));
            if (*idles == 1 || *idles == 3)
              self->become(idling(self, report, idles, std::chrono::milliseconds(250)));
          }};
}

inline caf::behavior idler(caf::event_based_actor* self, caf::actor report) {
  return idling(self, std::move(report), std::make_shared<int>(0), std::chrono::milliseconds(100));
}

/// An actor whose behaviour has a zero receive timeout, which the judge does not carry.
inline caf::behavior idler_at_once(caf::event_based_actor* self, caf::actor report) {
  return {[=](int x) { self->send(report, "got " + std::to_string(x)); },
          caf::after(std::chrono::milliseconds(0)) >> [] {}};
}

} // namespace dca::judge_test
