// What `dca journal verify` checks of every event and snapshot, apart from where they are stored:
// the SQLite journal's check (journal_check.cpp) and the PostgreSQL journal's
// (postgres_journal_check.cpp) read their rows and hand them here, so both journals are held to
// exactly the same rules and say a problem in the same words. Private to the library.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "dca/es/journal.hpp"
#include "dca/es/journal_check.hpp"

namespace dca::es {

/// One stored event as a verifier sees it.
struct stored_event {
  std::uint64_t position = 0;
  std::int64_t stream = 0; // the storage's stream id
  std::uint64_t seq = 0;
  std::string type;
  std::vector<char> payload;
  std::string text;
  /// The owner's (shard, epoch, node id) it was appended under, if stored (an empty owner: a
  /// journal from before owners were recorded).
  std::optional<shard_fence> fence;
};

class journal_verifier {
public:
  /// `where` names the journal in every problem ("journal.db", "postgres /run/pg:5432 db x").
  journal_verifier(std::string where, const decoder_registry& decoders);

  /// A stream the storage holds, before its events.
  void add_stream(std::int64_t id, entity_id entity);

  /// The next event in position order: positions gap-free from 1, sequences gap-free from 1 per
  /// stream, a known type decoding to its stored text, and along a stream's fenced events one
  /// shard and epochs that never go back (check_fence), and one owner per (shard, epoch)
  /// (check_owner). errc::journal_corrupt with the first
  /// problem.
  caf::error check_event(const stored_event& ev);

  /// A snapshot never ahead of its stream's head (after every event was checked).
  caf::error check_snapshot(std::int64_t stream, std::uint64_t seq);

  /// errc::journal_corrupt: "<where>: <what>".
  caf::error corrupt(const std::string& what) const;

  const verify_report& report() const noexcept { return report_; }

private:
  caf::error check_payload(const stored_event& ev, const entity_id& id);

  struct stream_seen {
    entity_id id;
    std::uint64_t seq = 0;
    std::optional<shard_fence> fence; // of the stream's last fenced event
  };

  /// One owner at a time per stream: a shard's epoch rises with every change of owner, so a
  /// stream's fenced events (in seq order) stay in one shard with epochs that never go back. An
  /// epoch going back is an old owner writing after a newer one; a second shard at the same epoch
  /// is a second owner the epochs cannot tell apart.
  caf::error check_fence(const stored_event& ev, stream_seen& info);

  /// The first event written under each (shard, epoch) that names its owner.
  struct epoch_owner {
    std::string owner;
    std::string stream;
    std::uint64_t position = 0;
  };

  /// One owner per (shard, epoch), across every stream: the lease table grants an epoch to one
  /// node, so two node ids under one (shard, epoch) are two owners it could not tell apart (a
  /// broken lease table, or two clusters on one journal).
  caf::error check_owner(const stored_event& ev, const stream_seen& info);
  std::string where_;
  const decoder_registry& decoders_;
  std::unordered_map<std::int64_t, stream_seen> streams_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, epoch_owner> owners_; // by (shard, epoch)
  verify_report report_;
};

} // namespace dca::es
