// The journal: the durable, append-only log every entity is recorded in. Each entity has its own
// stream with gap-free sequence numbers; every event also gets a gap-free global position, assigned
// when its append commits, which is the order projections read in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace dca::es {

/// An entity's identity: its type ("account") and its key within the type ("alice").
struct entity_id {
  std::string type;
  std::string key;

  std::string to_string() const { return type + "/" + key; }
  friend bool operator==(const entity_id& a, const entity_id& b) {
    return a.type == b.type && a.key == b.key;
  }
  friend bool operator<(const entity_id& a, const entity_id& b) {
    return std::tie(a.type, a.key) < std::tie(b.type, b.key);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entity_id& x) {
  return f(caf::meta::type_name("entity_id"), x.type, x.key);
}

struct entity_id_hash {
  std::size_t operator()(const entity_id& x) const noexcept {
    return std::hash<std::string>{}(x.type) * 31 + std::hash<std::string>{}(x.key);
  }
};

/// One event as the journal stores it: already serialized (CAF binary inspect) plus a rendering
/// for people (`sqlite3 journal.db 'select * from events'`).
struct event_data {
  std::string type;          // its stored type, e.g. "deposited", "item_added@2" (event_types.hpp)
  std::vector<char> payload; // caf::binary_serializer output
  std::string text;          // caf::deep_to_string output, e.g. "deposited(500)"
};

/// A stored event with its coordinates.
struct event_record {
  std::uint64_t position = 0; // global, gap-free, 1-based, assigned at commit
  entity_id entity;
  std::uint64_t seq = 0; // per entity, gap-free, 1-based
  std::string type;
  std::vector<char> payload;
  std::string text;
  std::string idempotency_key; // set on the last event of a command that carried one
};

/// Bytes owned by someone else: valid only as long as the owner says.
struct byte_view {
  const char* data = nullptr;
  std::size_t size = 0;
};

/// A stored event as replay sees it: what recovery needs and nothing else, as views into the
/// journal's storage that are valid only during the visitor's call (no copies, no `text`, no
/// entity id: replay reads one stream).
struct event_view {
  std::uint64_t position = 0;
  std::uint64_t seq = 0;
  std::string_view type; // the stored type replay decodes by (event_types.hpp)
  byte_view payload;
  std::string_view idempotency_key; // empty when the event carries none
};

/// Called by `replay_stream` for each event; an error stops the replay and is returned as is.
using event_visitor = std::function<caf::error(const event_view&)>;

/// The shard ownership an append claims (dca/es/shard_leases.hpp): the writer owns `shard` at
/// `epoch`. A journal that checks fences refuses the append with errc::stale_epoch, in the same
/// transaction that would have written it, unless `epoch` is the shard's current epoch. So a node
/// cut off from the cluster that still believes it owns a shard cannot write once another node
/// took the lease: fencing, not timing.
///
/// `owner` is the writer's node id. The journal checks only the epoch (the lease table is what
/// makes an epoch one owner's), but a journal that records fences (PostgreSQL) stores the owner
/// with every event, so `dca journal verify` can tell two owners a broken lease table gave one
/// epoch apart. A fenced append must name its owner.
struct shard_fence {
  std::uint32_t shard = 0;
  std::uint64_t epoch = 0;
  std::string owner;

  friend bool operator==(const shard_fence& a, const shard_fence& b) {
    return a.shard == b.shard && a.epoch == b.epoch && a.owner == b.owner;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_fence& x) {
  return f(caf::meta::type_name("shard_fence"), x.shard, x.epoch, x.owner);
}

/// Append `events` to `entity`'s stream, which must currently end at `expected_seq` (0: new).
/// All events commit together or none does.
///
/// `fence` absent: an unfenced append (one process owns the journal, or the caller does not use
/// shards). Present: the PostgreSQL journal checks it against its shard_leases table; the memory
/// journal against the epochs a test set (memory_journal::set_shard_epoch); the SQLite journal
/// cannot check one (it has one writing process and no lease table) and refuses every fenced
/// append with errc::fence_unsupported rather than pretend it fenced it.
struct append_request {
  entity_id entity;
  std::uint64_t expected_seq = 0;
  std::vector<event_data> events;
  std::string idempotency_key;
  std::optional<shard_fence> fence;
};

/// Where a successful append landed.
struct append_result {
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_result& x) {
  return f(caf::meta::type_name("append_result"), x.first_seq, x.last_seq, x.first_position,
           x.last_position);
}

/// The latest snapshot of an entity: its state (and runtime bookkeeping) after event `seq`.
struct snapshot_record {
  std::uint64_t seq = 0;
  std::uint64_t position = 0;
  std::vector<char> payload;
  std::string text;
};

/// Called once per append, on any thread, possibly before `append` returns.
using append_callback = std::function<void(caf::expected<append_result>)>;

/// Called after each commit with the highest committed global position, on the committing thread.
using commit_listener = std::function<void(std::uint64_t)>;

/// The journal interface. Implementations are thread-safe.
class journal {
public:
  virtual ~journal();

  /// Appends atomically and durably, then calls `done`. Fails with errc::sequence_conflict when
  /// the stream does not end at `expected_seq` (nothing is written), errc::stale_epoch when its
  /// fence names an epoch that is not the shard's current one (nothing is written),
  /// errc::overloaded when the write queue is full, or a storage error.
  virtual void append(append_request req, append_callback done) = 0;

  /// Whether `append` always calls `done` before it returns, on the caller's thread (the memory
  /// journal). Entities then take the answer inline instead of as a message.
  virtual bool completes_inline() const noexcept { return false; }

  /// Reads up to `max` events of one stream with seq >= `from_seq`, in seq order, into `out`
  /// (cleared first). Recovery calls this in batches so replay memory stays bounded.
  virtual caf::error read_stream(const entity_id& entity, std::uint64_t from_seq, std::size_t max,
                                 std::vector<event_record>& out) = 0;

  /// Replay's read: visits up to `max` events of one stream with seq >= `from_seq`, in seq order,
  /// without copying them. Returns how many it visited, or the first error (its own or the one
  /// `visit` returned, which stops the read). Recovery calls this in batches of at most `max`.
  /// The default goes through `read_stream`; journals override it to skip the copies.
  virtual caf::expected<std::size_t> replay_stream(const entity_id& entity, std::uint64_t from_seq,
                                                   std::size_t max, const event_visitor& visit);

  /// Reads up to `max` committed events with position > `after`, in position order. Never returns
  /// a position beyond one whose append is still in flight: positions are assigned at commit.
  virtual caf::error read_all(std::uint64_t after, std::size_t max,
                              std::vector<event_record>& out) = 0;

  /// The entity's latest snapshot, if any.
  virtual caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& entity) = 0;

  /// Stores a snapshot asynchronously; a lost snapshot costs only a longer replay.
  virtual void save_snapshot(const entity_id& entity, snapshot_record snapshot) = 0;

  /// The highest committed global position (0 when empty).
  virtual std::uint64_t committed_position() const = 0;

  /// Registers a listener for commits; returns its id for `unsubscribe`.
  virtual int subscribe(commit_listener listener) = 0;
  virtual void unsubscribe(int id) = 0;

  /// Whether reads may block on storage (a file on a disk). When they may, the runtime reads
  /// nothing on CAF's worker threads: recoveries and projections hand their I/O to `run_io` and
  /// get the outcome back as a message. False (the memory journal): they read inline.
  virtual bool reads_block() const noexcept { return false; }

  /// Runs `task` (a recovery's reads, a projection's batch) on the journal's own I/O threads,
  /// never on the caller's; called only when reads_block(). The default runs it inline.
  virtual void run_io(std::function<void()> task);
};

using journal_ptr = std::shared_ptr<journal>;

} // namespace dca::es
