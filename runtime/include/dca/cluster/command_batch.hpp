// What nodes send each other for commands: batches. A node passes every command for a key another
// node owns to that node, and the commands that queue up for one peer while the node is busy go
// in one message (one serialisation, one middleman write, one timer) instead of one request each;
// the owner answers them in batches the same way. A command the receiver does not own comes back
// as moved, with the receiver's idea of the owner, and the sender routes it again (hops_max bounds
// how often).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/es/idempotency_keys.hpp"

namespace dca::cluster {

/// (batch_atom, command_batch<C>): commands from a peer, for shards it believes this node owns.
using batch_atom = caf::atom_constant<caf::atom("batch")>;
/// (answers_atom, answer_batch<C>): the owner's answers to commands a node passed on.
using answers_atom = caf::atom_constant<caf::atom("answers")>;

/// A command on its way to its key's owner. `id` is the sender's call (pending_calls.hpp).
template <class Command>
struct routed_command {
  std::uint64_t id = 0;
  std::uint32_t hops = 0; // times it has been passed on, this time included
  std::string key;
  Command cmd;
  std::string idempotency_key;
};

template <class Inspector, class Command>
typename Inspector::result_type inspect(Inspector& f, routed_command<Command>& x) {
  return f(caf::meta::type_name("routed_command"), x.id, x.hops, x.key, x.cmd, x.idempotency_key);
}

template <class Command>
struct command_batch {
  std::string from; // the sending node: answers go to it
  std::vector<routed_command<Command>> commands;
};

template <class Inspector, class Command>
typename Inspector::result_type inspect(Inspector& f, command_batch<Command>& x) {
  return f(caf::meta::type_name("command_batch"), x.from, x.commands);
}

/// The entity's answer to call `id`: its ack, or (when set) its error.
struct routed_answer {
  std::uint64_t id = 0;
  dca::es::ack ack;
  caf::error error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, routed_answer& x) {
  return f(caf::meta::type_name("routed_answer"), x.id, x.ack, x.error);
}

/// A command the receiver does not own, sent back with the owner it believes in (empty: none).
template <class Command>
struct moved_command {
  routed_command<Command> command;
  std::string owner;
};

template <class Inspector, class Command>
typename Inspector::result_type inspect(Inspector& f, moved_command<Command>& x) {
  return f(caf::meta::type_name("moved_command"), x.command, x.owner);
}

template <class Command>
struct answer_batch {
  std::string from; // the answering node
  std::vector<routed_answer> answers;
  std::vector<moved_command<Command>> moved;

  bool empty() const noexcept { return answers.empty() && moved.empty(); }
};

template <class Inspector, class Command>
typename Inspector::result_type inspect(Inspector& f, answer_batch<Command>& x) {
  return f(caf::meta::type_name("answer_batch"), x.from, x.answers, x.moved);
}

} // namespace dca::cluster
