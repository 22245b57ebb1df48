// Projections (the read side of CQRS): an actor that reads the journal in global order and keeps
// a read model in its own SQLite file, writing the projection's checkpoint in the same transaction
// as the read-model rows, so a crash at any moment neither loses nor repeats an event
// (exactly-once). Positions are assigned at commit, so it never skips one still in flight.
//
// Queries demand a minimum position (read-your-writes): (wait_atom, position, timeout_ms) answers
// with the checkpoint once it reaches `position`, or errc::timeout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>

#include "dca/es/decoder_registry.hpp"
#include "dca/es/journal.hpp"
#include "dca/es/sqlite.hpp"

namespace dca::es {

/// (wait_atom, std::uint64_t min_position, std::uint32_t timeout_ms) -> std::uint64_t checkpoint
using wait_atom = caf::atom_constant<caf::atom("wait")>;
/// (checkpoint_atom) -> std::uint64_t: the last position applied to the read model.
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;
/// Internal: the journal committed up to a position; or a wait timed out.
using committed_atom = caf::atom_constant<caf::atom("committed")>;
using wait_timeout_atom = caf::atom_constant<caf::atom("waitout")>;

/// What a read model does with events. `handle` runs inside the projection's transaction: it must
/// only write through `db`, and must not commit.
class projection_handler {
public:
  virtual ~projection_handler();
  /// The checkpoint's name; unique per read-model file.
  virtual std::string name() const = 0;
  /// Creates the read model's tables if absent.
  virtual caf::error setup(sqlite3* db, const std::string& path) = 0;
  /// Applies one event (of any entity type: skip the ones the model does not read).
  virtual caf::error handle(sqlite3* db, const std::string& path, const event_record& ev) = 0;
};

struct projection_options {
  /// The read model's SQLite file (created if absent).
  std::string read_model_path;
  /// Events per read-model transaction.
  std::size_t batch_events_max = 1000;
  /// Read-your-writes queries waiting at once; past it, errc::overloaded.
  std::size_t waiters_max = 10'000;
  /// synchronous=FULL for the read model. NORMAL (the default) is still atomic in WAL mode, so
  /// the checkpoint stays consistent with the rows; it may only roll back the last commits on
  /// power loss, and those events are then projected again.
  bool synchronous_full = false;
};

/// Opens the read model and spawns the projection actor; it catches up at once and then follows
/// the journal's commits. Fails with a one-line error naming the file.
caf::expected<caf::actor> spawn_projection(caf::actor_system& sys, journal_ptr journal,
                                           std::shared_ptr<projection_handler> handler,
                                           projection_options opts);

/// Reads the checkpoint `name` from a read-model file (0 when absent).
caf::expected<std::uint64_t> read_checkpoint(sqlite3* db, const std::string& name);

} // namespace dca::es
