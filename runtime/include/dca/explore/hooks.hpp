// The seam between instrumented types (dca::shared, dca::mutex) and the thread explorer. Outside an
// exploration `current_thread` is null and every hook is skipped, so a normal run pays one
// thread-local load per operation and nothing else.
#pragma once

#include <string>

#include "dca/explore/report.hpp"

namespace dca::explore::detail {

class thread_context;

/// The explored thread running on this OS thread, or null outside an exploration.
inline thread_local thread_context* current_thread = nullptr;

enum class op_kind { load, store, read_modify_write, lock, try_lock, unlock, point };

/// Announces the operation this thread is about to perform and blocks until the scheduler picks
/// this thread. Returns false when the operation must not touch the modelled state any more
/// (the exploration is being torn down while the stack unwinds).
bool before(thread_context& self, op_kind kind, const void* object, const char* name,
            source_location where);

/// Records what the operation just granted read or wrote, for the trace.
void record(thread_context& self, std::string value);

/// For try_lock: whether the modelled mutex was free and is now held by this thread.
bool try_lock_succeeded(thread_context& self, const void* mutex);

} // namespace dca::explore::detail
