// What the judge and the subject say to each other: CAF messages, serialised by CAF's own binary
// serialiser with every type announced, in frames of a 4-byte length and the bytes. The judge
// (the spec side, no learner code) asks; the subject (the learner's actors in a child process)
// answers each request with one frame. A frame is bounded, and a value of a type nobody announced
// does not deserialise: whatever the subject sends is either one of these shapes or refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/make_message.hpp"
#include "caf/message.hpp"
#include "caf/meta/type_name.hpp"

namespace dca::bridge {

/// An actor named across the bridge: the judge's number for it. Actor handles never cross.
struct actor_ref {
  std::uint64_t id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, actor_ref& x) {
  return f(caf::meta::type_name("dca_actor_ref"), x.id);
}

/// A judge service given to a learner's spawn function (a journal, say): its id
/// (judge_services.hpp). The subject's side of its relay makes the object the learner's code
/// expects from it.
struct service_ref {
  std::uint64_t id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, service_ref& x) {
  return f(caf::meta::type_name("dca_service_ref"), x.id);
}

/// One message a handler sent: to the actor the judge calls `to`. A request carries the
/// subject's number for it (0: a plain message), so that the judge can route the response back,
/// the timeout the learner's code gave it (negative: none), and whether the sender awaits it
/// (`await`: it handles nothing else meanwhile) or multiplexes it (`then`). A delayed message
/// (`delayed_send`) carries its delay (`delay_ms`, negative: sent at once): the subject's clock
/// never runs, so the judge's clock delivers it.
struct outbound {
  std::uint64_t to = 0;
  caf::message content;
  std::uint64_t request = 0;
  std::int64_t timeout_ms = -1;
  bool awaited = false;
  std::int64_t delay_ms = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbound& x) {
  return f(caf::meta::type_name("dca_outbound"), x.to, x.content, x.request, x.timeout_ms,
           x.awaited, x.delay_ms);
}

/// A learner's actor answered the judge's request numbered `request`, now or in a later handler
/// (a response promise). (A handler's result for a plain message is no reply: CAF sends it to the
/// message's sender as a plain message, and that sender crosses as a number: see deliver_atom.)
struct reply {
  std::uint64_t request = 0;
  caf::message content;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reply& x) {
  return f(caf::meta::type_name("dca_reply"), x.request, x.content);
}

/// What one handler (or start-up) of a learner's actor did: the messages it sent, the judge's
/// requests it answered (this one's, or earlier ones through a response promise), whether the
/// actor quit, and the receive timeout of its behaviour afterwards (`after`, in nanoseconds;
/// negative: none). The subject's clock never fires it: the stand-in takes the same timeout on
/// the judge's clock, and when it fires there, the judge asks for (timedout, ID).
struct handler_result {
  std::vector<outbound> sent;
  std::vector<reply> replies;
  bool quit = false;
  std::int64_t receive_timeout_ns = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, handler_result& x) {
  return f(caf::meta::type_name("dca_handler_result"), x.sent, x.replies, x.quit,
           x.receive_timeout_ns);
}

// -- the requests (judge -> subject) and answers (subject -> judge) --------------------------

/// (spawn, ID, KIND, ARGS, START): spawn the learner's actor KIND with ARGS (actor_refs for
/// actors) as the judge's actor ID; run its start-up now if START, else on (start, ID). The
/// split keeps the learner's spawn function (run at once, where the spec calls it) apart from
/// the actor's start-up (a step the judge's scheduler chooses), as in one process.
using spawn_atom = caf::atom_constant<caf::atom("spawn")>;
/// (start, ID): run the start-up of the actor ID, spawned without it.
using start_atom = caf::atom_constant<caf::atom("start")>;
/// (deliver, ID, CONTENTS, REQUEST, SENDERS): the actor ID handles these messages (a
/// std::vector), one handler each, in order; the first is a request numbered REQUEST by the judge
/// (0: a plain message), the others plain messages already waiting in its stand-in's mailbox,
/// which CAF hands it in this order. SENDERS (a std::vector, one per message) numbers each plain
/// message's sender on the judge's side (0: none): the subject gives the message that actor's
/// relay as its sender, so what the handler returns, now or through a response promise later,
/// goes back to it as a plain message, as CAF sends it in one process (09's and 11's fault link
/// relays take their answer that way). The subject stops early after a handler that quits or awaits
/// a reply (the next message would not come next), or when the answer grows large.
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
/// (respond, ID, REQUEST, CONTENT): the actor ID handles the response to the request it sent
/// that the subject numbered REQUEST (an outbound's `request`): a reply or an error.
using respond_atom = caf::atom_constant<caf::atom("respond")>;
/// (timedout, ID): the receive timeout of the actor ID fired on the judge's clock (its stand-in
/// has the same one, which CAF arms and resets there as it would the learner's actor's in one
/// process); the actor runs its behaviour's timeout handler.
using timed_out_atom = caf::atom_constant<caf::atom("timedout")>;
/// (forget, IDS): the judge's actors IDS (a std::vector) are gone; the subject drops theirs.
using forget_atom = caf::atom_constant<caf::atom("forget")>;
/// (call, FUNCTION, ARGS): run the learner's pure function FUNCTION (e.g. "sku.decide") on ARGS,
/// a std::vector<char> its caller encoded; no actor runs. Answered (returned, RESULT): the
/// function's result, encoded likewise. The judge decodes and checks it (subject_call.hpp).
using call_atom = caf::atom_constant<caf::atom("call")>;
/// (now, NS): the judge's clock reads NS nanoseconds since its epoch; the subject's clock reads
/// the same until the next (now, ...), so a learner's actor that reads its clock sees the judge's
/// virtual time. Sent before a request whenever the judge's time moved; answered like forget.
using now_atom = caf::atom_constant<caf::atom("now")>;
/// (returned, RESULT): what a call returned, encoded (a std::vector<char>).
using returned_atom = caf::atom_constant<caf::atom("returned")>;
/// (service, KIND, ID, BYTES), subject -> judge, in place of any request's answer: the learner's
/// code, running for that request, asks the judge's service KIND numbered ID (judge_services.hpp)
/// with BYTES; the judge answers with the service's frame ((served, BYTES), or (sqlanswer, BYTES)
/// for the statement relay), or (abandoned) once it has given the exchange up. The request's own
/// answer comes after the last of these.
using service_atom = caf::atom_constant<caf::atom("service")>;
using served_atom = caf::atom_constant<caf::atom("served")>;
using sql_answer_atom = caf::atom_constant<caf::atom("sqlanswer")>;
using abandoned_atom = caf::atom_constant<caf::atom("abandoned")>;
/// (ran, RESULTS): what each handler run did (std::vector of handler_result): one for spawn,
/// start, respond, timedout and forget, one per message run for deliver.
using ran_atom = caf::atom_constant<caf::atom("ran")>;
/// (refused, WHY): the subject could not do what was asked (an unknown kind, unsupported use).
using refused_atom = caf::atom_constant<caf::atom("refused")>;

/// The largest frame either side accepts: a handler's messages, serialised.
constexpr std::size_t frame_bytes_max = 1u << 20;

/// The largest request the subject reads from the judge: the judge is the instructor's code, and a
/// spec may hand a learner's actor a large value on purpose (11's oversized replica state, 4 MiB).
constexpr std::size_t request_bytes_max = 64u << 20;

/// `msg` with each element of type `From` replaced by `replace(element)`, the others kept: how
/// actor handles become actor_refs on the way out and handles again on the way in.
template <class From, class Replace>
caf::message replace_elements(const caf::message& msg, Replace replace) {
  caf::message out;
  for (std::size_t i = 0; i < msg.size(); ++i)
    out = out + (msg.match_element<From>(i) ? caf::make_message(replace(msg.get_as<From>(i)))
                                            : msg.slice(i, 1));
  return out;
}

/// Announces the bridge's types; both sides call it on their actor_system_config.
void announce_types(caf::actor_system_config& cfg);

/// `msg` as bytes, by CAF's binary serialiser; an error when a type in it is not announced.
caf::error to_bytes(caf::actor_system& sys, const caf::message& msg, std::vector<char>& bytes);

/// `bytes` as a message; an error when they are not a serialised message of announced types.
caf::error from_bytes(caf::actor_system& sys, const std::vector<char>& bytes, caf::message& msg);

/// Writes one frame to `fd`; false when the peer is gone.
bool write_frame(int fd, const std::vector<char>& bytes);

/// How reading a frame ended.
enum class frame_status { ok, closed, timed_out, oversized, broken };

/// Reads one frame from `fd` within `timeout_ms` (negative: no limit). `oversized` when its
/// length is over `bytes_max` (nothing more is read), `broken` when the stream ends mid-frame.
frame_status read_frame(int fd, int timeout_ms, std::vector<char>& bytes,
                        std::size_t bytes_max = frame_bytes_max);

} // namespace dca::bridge
