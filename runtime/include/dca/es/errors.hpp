// The errors the entity runtime reports as values: a code in CAF's error type (category "dcaes")
// plus a one-line detail naming what failed, so a caller can both branch on the code and print it.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace dca::es {

enum class errc : std::uint8_t {
  overloaded = 1,       // an entity's pending_commands_max (or a queue bound) was reached
  sequence_conflict,    // expected-sequence check failed: a second writer for one entity
  journal_corrupt,      // the journal file is not a database or fails its checks
  journal_newer_schema, // written by a newer dca: refuse rather than misread it
  journal_not_dca,      // a SQLite file, but not a dca journal
  journal_locked,       // another process owns the journal
  journal_read_only,    // the journal (or its directory) cannot be written
  journal_io,           // any other storage failure
  journal_closed,       // the journal was shut down before the request ran
  decode_failed,        // an event or snapshot could not be decoded with its type's inspect
  entity_failed,        // the entity stopped (failed recovery or failed append): retry the command
  timeout,              // a wait (e.g. read-your-writes) ran out of time
  event_type_unknown,   // a stored event's type is not one the entity reads (event_decoders.hpp)
  stale_epoch,          // a fenced append's epoch is not its shard's current one: another owner
  fence_unsupported,    // a fenced append to a journal that cannot check fences (SQLite)
  lease_held,           // a shard lease is held by another node and has not expired
  sequence_gap,         // a sender's command skips numbers: refused by policy or past the window
  sequence_stale,       // a duplicate whose recorded reply the entity no longer keeps
  activity_invalid,     // a sender stamp without a sender or numbered 0, or a reserved key
  saga_invalid,         // a saga begun again with another payload, or a step answered too early
  step_answered_twice,  // a saga step (or its undo) answered after its first answer: it stands
};

/// The code's name, e.g. "sequence_conflict".
const char* to_string(errc x) noexcept;

/// The category atom of every errc error.
constexpr caf::atom_value error_category = caf::atom("dcaes");

/// An error with `detail` as its one-line context.
caf::error make_error(errc code, std::string detail);

/// An error without a detail (lets `caf::error e = errc::overloaded;` compile).
caf::error make_error(errc code);

/// True when `err` carries `code` of our category.
bool is(const caf::error& err, errc code) noexcept;

/// A domain's own error (a cart's checked_out, a bank's insufficient_funds): the domain's category
/// atom and code, so callers can branch on them, and one string of context, "name: detail", which
/// render() prints as is. A domain wraps it in its own make_error (examples/cart/cart.cpp).
caf::error make_domain_error(caf::atom_value category, std::uint8_t code, const char* name,
                             std::string detail);

/// True when `err` is `category`'s error `code`.
bool is_domain_error(const caf::error& err, caf::atom_value category, std::uint8_t code) noexcept;

/// The same error (code and category) with `prefix` put before its detail: context added on the
/// way up, e.g. prefixed(err, "cart/alice seq 3: ").
caf::error prefixed(const caf::error& err, const std::string& prefix);

/// Renders any error on one line: "sequence_conflict: account/alice expected 3, head is 4".
std::string render(const caf::error& err);

} // namespace dca::es
