// The errors every journal answers a refused append with, worded once so that the memory, SQLite
// and PostgreSQL journals refuse alike. Private to the library.
#pragma once

#include <cstdint>
#include <optional>

#include <caf/error.hpp>

#include "dca/es/journal.hpp"

namespace dca::es {

/// errc::sequence_conflict: `req` expected its stream to end at another seq than `head`.
caf::error sequence_conflict_error(const append_request& req, std::uint64_t head);

/// errc::stale_epoch: `req`'s fence is not its shard's `current` epoch (nullopt: never leased).
caf::error stale_epoch_error(const append_request& req, std::optional<std::uint64_t> current);

} // namespace dca::es
