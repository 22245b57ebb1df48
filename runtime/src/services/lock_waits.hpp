// Who waits for whose lock, for the explorer: which connection of ours holds the lock a statement
// waits for. Private to dca::services (pg_connection.cpp).
#pragma once

#include <string>
#include <vector>

namespace dca::services::lock_waits {

/// Connection `pid` of this process is called `name`, on the server `conninfo` points to.
void remember(int pid, const std::string& name, const std::string& conninfo);
void forget(int pid);

/// The connections of ours whose locks backend `pid` waits for. Empty when it waits for none, or
/// for a backend that is not ours (one of an earlier schedule, still ending: that wait passes), or
/// when the waits form a cycle (the server's deadlock detector is about to answer with 40P01).
std::vector<int> holders_of(int pid);

/// The backends of every connection of ours that is open: a reset must not end them.
std::vector<int> live_pids();

/// "T1", "T1 and T2": the names of those connections.
std::string names_of(const std::vector<int>& pids);

} // namespace dca::services::lock_waits
