// The module-B servers as a grading slot sees them: the checkout's PostgreSQL primary and replica
// reached as a role of the slot's own, and a Redis server of the slot's own. A submission graded
// in one slot cannot read or change another slot's data or the instructor's: the threat model is
// in grade/README.md ("The servers of module B").
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "context.hpp"
#include "grade/sandbox.hpp"

namespace dca::cli {

/// Whether the spec of the exercise `id` holds the checkout's one replica still
/// (pg_wal_replay_pause under an advisory lock in the database `postgres`): 08's does, in its
/// shared-state cases.
inline bool holds_the_replica(const std::string& id) {
  return id == "08_replica_lag";
}

class slot_services {
public:
  /// Starts the checkout's servers (scripts/services start: it also makes the superuser reachable
  /// only from the kit's own user), and gives each slot a PostgreSQL role with a random password,
  /// CREATEDB and no other right, a home database only that role may connect to, and a Redis
  /// server run as the slot's user on a socket under `scratch` only that user can reach, wanting
  /// a random password of its own (no CONFIG or ACL: nobody can take it off). Every database
  /// already there is closed to all but its owner. With `replica_control` (a run that grades 08,
  /// whose spec holds the one replica still while it explores: holds_the_replica), each role may
  /// also pause and resume the replica's replay and connect to the database `postgres`, which
  /// holds no data, for the advisory lock all 08 runs share. Throws std::runtime_error (one line).
  slot_services(const context& ctx, const sandbox& box, const std::filesystem::path& scratch,
                int slots, bool replica_control = false);
  /// Stops the slots' Redis servers and drops their roles with every database they made.
  ~slot_services();
  slot_services(const slot_services&) = delete;
  slot_services& operator=(const slot_services&) = delete;

  /// The environment of a run in `slot`: DCA_PG_PRIMARY, DCA_PG_REPLICA (the slot's role and home
  /// database), DCA_REDIS_SOCKET and DCA_REDIS_PASSWORD (its own server) and DCA_SLOT (its
  /// databases' names). A judged subject gets none of it (it starts with no environment).
  const std::map<std::string, std::string>& env(int slot) const { return slots_.at(at(slot)).env; }

  /// The folders a run in `slot` must see to reach its sockets.
  const std::vector<std::filesystem::path>& folders(int slot) const {
    return slots_.at(at(slot)).folders;
  }

  /// One line for the report's sandbox description.
  std::string description() const;

private:
  struct corner {
    std::string role;
    std::filesystem::path redis_dir;
    std::map<std::string, std::string> env;
    std::vector<std::filesystem::path> folders;
  };
  static std::size_t at(int slot) { return static_cast<std::size_t>(slot); }
  void superuser(const std::vector<std::string>& statements) const;
  std::vector<std::string> superuser_rows(const std::string& query) const;
  void drop_role(const std::string& role) const;
  corner make_slot(int index, unsigned uid, const std::filesystem::path& scratch,
                   bool replica_control) const;

  const sandbox& box_;
  std::string primary_host_, replica_host_;
  std::vector<corner> slots_;
};

} // namespace dca::cli
