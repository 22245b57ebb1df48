// The messages of one explored actor run, read off its own trace: every message one actor sent
// another, and what became of it on the link (delivered, lost, delivered twice, never handled),
// with the fault the explorer chose that did it. For runs between nodes
// (actor_world::between_nodes, or a lossy link): `dca explore 09` prints it, its JSON carries it,
// its page draws it.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "dca/explore/report.hpp"

namespace dca::explore {

/// What became of a message on its link.
enum class message_fate {
  delivered,  // handled once
  lost,       // the explorer lost it (a drop choice, "d<receiver>")
  duplicated, // the explorer delivered it twice (a duplicate choice, "t<receiver>")
  unhandled,  // still waiting, or in the mailbox of an actor that stopped, when the run ended
};

const char* to_string(message_fate x) noexcept;

/// One message between two actors of the run. Steps count from 1, as the trace table's do.
struct message_row {
  std::string message; // as the receiver would handle it, without its sender: "reply 1"
  int from = -1;       // actor indices into report::actors
  int to = -1;
  std::size_t sent_at = 0; // the step after which it was in `to`'s mailbox; 0: before the run
  std::vector<std::size_t> handled_at; // the steps that handled it (two for a duplicate)
  std::size_t fault_at = 0;            // the step of the fault that hit it; 0: none
  message_fate fate = message_fate::unhandled;

  /// The fault in the schedule's words: "d1" (lost on the link into actor 1), "t0"; empty: none.
  std::string fault_choice() const;
};

/// Whether a link of `r`'s traced run lost or repeated a message (a lose or duplicate step, chosen
/// on a link that actor_world::lossy made so).
bool has_link_faults(const report& r);

/// Whether `r` gets the message table: a run between nodes (actor_world::between_nodes or a
/// lossy link), even when what broke it was not the link (11's clocks), or one whose link did.
bool shows_message_table(const report& r);

/// The messages of `r`'s trace in the order they were sent, from the mailboxes each step left
/// behind: a message that appears in a mailbox was sent, a handle step delivered it, a lose or
/// duplicate step is the fault. Messages an actor sent itself (timeouts) are no link's and left
/// out. Empty for a trace without mailboxes (threads).
std::vector<message_row> message_rows(const report& r);

/// The table of `rows` for people: one line per message (sender, receiver, message, the step it
/// was sent at, what became of it and which fault did it), then one line per actor (sent,
/// handled, lost or repeated on its way in).
void print_message_table(std::ostream& out, const report& r, const std::vector<message_row>& rows);

} // namespace dca::explore
