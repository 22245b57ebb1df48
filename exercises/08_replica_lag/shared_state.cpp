// Exercise 08, shared-state track: reads scaled out the way most web applications do it. Writes go
// to the primary; reads are spread over the primary and its streaming replica. Each statement is
// atomic on its server, and still a session that renames its profile can read the old name back
// from the replica, which has not replayed the rename yet, and a read from the replica can be older
// than the read from the primary just before it. Run `dca explore 08`.
#include "scenario.hpp"

namespace replica_lag {

// [slide:rename]
std::int64_t profile_writes::rename(std::int64_t id, const std::string& name) {
  auto rows = primary_.exec(
      "UPDATE profiles SET name = $2, version = version + 1 WHERE id = $1 RETURNING version", id,
      name);
  if (rows.rows() == 0)
    throw std::runtime_error("no profile " + std::to_string(id) + " in PostgreSQL");
  return rows.int_at(0, 0);
}
// [/slide:rename]

// [slide:show]
profile profile_reads::show(std::int64_t id) {
  auto& server = servers_[next_];
  next_ = (next_ + 1) % servers_.size(); // round robin, as the load balancer does
  // pg_is_in_recovery(): the server itself says whether it is the replica.
  auto rows =
      server.exec("SELECT version, pg_is_in_recovery() AS replica FROM profiles WHERE id = $1", id);
  if (rows.rows() == 0)
    throw std::runtime_error("no profile " + std::to_string(id) + " on the read pool");
  return {rows.int_at(0, 0),
          rows.at(0, 1) == std::optional<std::string>{"t"} ? "replica" : "primary"};
}
// [/slide:show]

// [slide:session_round]
void session_round(profile_writes& writes, profile_reads& reads, std::int64_t id,
                   const std::string& name, std::vector<observation>& seen) {
  auto version = writes.rename(id, name); // the write goes to the primary...
  seen.push_back({true, version, "primary"});
  for (int i = 0; i < 2; ++i) { // ...and the reads to whichever server is next
    auto p = reads.show(id);
    seen.push_back({false, p.version, p.from});
  }
}
// [/slide:session_round]

} // namespace replica_lag
