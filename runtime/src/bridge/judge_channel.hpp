// The subject's way back to the judge in the middle of serving a request: a learner's function
// that runs a statement (statement_relay.cpp) asks the judge to run it and waits for the answer,
// on the same socket, before the request's own answer goes out. Private to the bridge.
#pragma once

#include "caf/message.hpp"

namespace dca::bridge {

/// In the subject, while it serves a request: sends `request` to the judge as one frame and
/// returns the judge's answer frame. Throws std::logic_error outside a request; ends the subject
/// when the judge has gone (nobody is left to answer).
caf::message ask_judge(const caf::message& request);

} // namespace dca::bridge
