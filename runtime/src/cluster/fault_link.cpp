// The fault link (fault_link.hpp): rolls the plan's dice once per message, in arrival order, and
// carries out the fault; replies come back through relays (relay.hpp) so the reply direction can
// be cut too.
#include "dca/cluster/fault_link.hpp"

#include <map>
#include <optional>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/cluster/relay.hpp"

namespace dca::cluster {

namespace {

using link_tick_atom = caf::atom_constant<caf::atom("linktick")>;

/// A message on its way through the link. `rp` is pending for a request's first copy only.
struct parcel {
  std::uint64_t number = 0;
  caf::message content;
  caf::response_promise rp;
  bool request = false;
};

struct fault_link_state {
  caf::actor peer;
  std::optional<fault_dice> dice;
  bool requests_cut = false;
  bool replies_cut = false;
  std::uint64_t messages = 0;
  std::vector<std::string> trace;
  std::map<std::uint64_t, caf::response_promise> awaiting; // by parcel number
  std::map<std::uint64_t, parcel> parked;                  // delayed or held back, by number
  std::optional<std::uint64_t> held;                       // the reordered parcel, if any
  static inline const char* name = "dca.cluster.fault_link";
};

using link_actor = caf::stateful_actor<fault_link_state>;

void note(link_actor* self, std::uint64_t number, const char* what) {
  self->state.trace.push_back("#" + std::to_string(number) + " " + what);
}

// Longest a relay waits for the peer's answer: the caller's own timeout is always shorter, this
// only bounds how long a relay outlives a lost reply.
constexpr std::chrono::milliseconds relay_wait_max{std::chrono::minutes{1}};

void send_on(link_actor* self, parcel& p) {
  if (!p.request) {
    caf::anon_send(self->state.peer, std::move(p.content));
    return;
  }
  if (p.rp.pending())
    self->state.awaiting.emplace(p.number, std::move(p.rp));
  spawn_relay(self, p.number, self->state.peer, std::move(p.content), relay_wait_max);
}

// Delivers `p`, then the parcel held back for reordering (which `p` thereby overtook).
void deliver(link_actor* self, parcel p) {
  send_on(self, p);
  auto& st = self->state;
  if (st.held && *st.held != p.number) {
    auto it = st.parked.find(*st.held);
    note(self, it->first, "released after a later message");
    send_on(self, it->second);
    st.parked.erase(it);
    st.held.reset();
  }
}

void park(link_actor* self, parcel p, const char* what) {
  auto number = p.number;
  note(self, number, what);
  self->state.parked.emplace(number, std::move(p));
  self->delayed_send(self, self->state.dice->plan().delay, link_tick_atom::value, number);
}

void dispatch(link_actor* self, parcel p) {
  auto& st = self->state;
  if (st.requests_cut) {
    note(self, p.number, "cut");
    return;
  }
  auto f = st.dice->roll();
  if (f == fault::drop) {
    note(self, p.number, "drop");
  } else if (f == fault::duplicate) {
    note(self, p.number, "duplicate");
    parcel copy{p.number, p.content, {}, p.request};
    deliver(self, std::move(p));
    send_on(self, copy);
  } else if (f == fault::delay) {
    park(self, std::move(p), "delay");
  } else if (f == fault::reorder && !st.held) {
    st.held = p.number;
    park(self, std::move(p), "hold back");
  } else {
    note(self, p.number, "deliver");
    deliver(self, std::move(p));
  }
}

void on_reply(link_actor* self, std::uint64_t number, caf::message reply, caf::error err) {
  auto& st = self->state;
  auto it = st.awaiting.find(number);
  if (it == st.awaiting.end())
    return; // a duplicate's reply: the caller has its answer already
  if (st.replies_cut) {
    note(self, number, "reply cut");
    st.awaiting.erase(it);
    return;
  }
  note(self, number, err ? "error reply" : "reply");
  if (err)
    it->second.deliver(std::move(err));
  else
    it->second.deliver(std::move(reply));
  st.awaiting.erase(it);
}

caf::behavior fault_link(link_actor* self, caf::actor peer, fault_plan plan) {
  self->state.peer = std::move(peer);
  self->state.dice.emplace(plan);
  self->set_default_handler(
      [self](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        auto request = self->current_mailbox_element()->mid.is_request();
        parcel p{++self->state.messages, x.move_content_to_message(),
                 request ? self->make_response_promise() : caf::response_promise{}, request};
        dispatch(self, std::move(p));
        return caf::delegated<caf::message>{};
      });
  return {
      [self](link_cut_atom, bool requests, bool replies) {
        self->state.requests_cut = requests;
        self->state.replies_cut = replies;
      },
      [self](link_trace_atom) { return self->state.trace; },
      [self](link_tick_atom, std::uint64_t number) {
        auto& st = self->state;
        auto it = st.parked.find(number);
        if (it == st.parked.end())
          return; // a held-back parcel a later message released already
        if (st.held == number)
          st.held.reset();
        note(self, number, "released after its delay");
        auto p = std::move(it->second);
        st.parked.erase(it);
        send_on(self, p);
      },
      [self](relayed_atom, std::uint64_t number, caf::message& reply) {
        on_reply(self, number, std::move(reply), caf::error{});
      },
      [self](relayed_atom, std::uint64_t number, caf::error& err) {
        on_reply(self, number, caf::message{}, std::move(err));
      },
  };
}

} // namespace

caf::actor spawn_fault_link(caf::actor_system& sys, caf::actor peer, fault_plan plan) {
  return sys.spawn(fault_link, std::move(peer), plan);
}

} // namespace dca::cluster
