// A client of the kit's 3-member etcd cluster (scripts/services), over etcd's v3 API as JSON on
// HTTP (the gRPC gateway on each member's client port): leases, puts under a lease, reads, and a
// compare-and-swap transaction on a key's mod_revision. That is all a node needs to own something
// by consensus: the lease says until when, and the store's revision, which only grows, is the
// fencing token a journal can check.
//   dca::services::etcd_client etcd{dca::services::etcd_endpoints()};
//   auto lease = etcd.grant(std::chrono::seconds{2});
//   auto took = etcd.put_if_mod_revision("owner/account-42", "node-b", lease->id, 0);
//   if (took && took->succeeded) { /* took->revision fences node-b's appends */ }
// Every failure is a value (caf::error in category "dcaetcd"): the cluster unreachable, without
// quorum, or not answering within the request timeout, never a hang. Not thread-safe: one client
// per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dca::services {

/// Why a request failed.
enum class etcd_errc : std::uint8_t {
  unreachable = 1, // no member accepted a connection
  no_quorum,       // a member answered that it cannot commit (no leader, request timed out)
  timed_out,       // no answer within the request timeout (a member without quorum says nothing)
  refused,         // the cluster refused the request itself (an unknown lease, a bad key)
};

const char* to_string(etcd_errc x) noexcept;

constexpr caf::atom_value etcd_error_category = caf::atom("dcaetcd");

/// True when `err` is an etcd client error with `code`.
bool is(const caf::error& err, etcd_errc code) noexcept;

/// `err` on one line: "no_quorum: etcd at 127.0.0.1:2.. answered: etcdserver: request timed out".
std::string etcd_message(const caf::error& err);

/// A lease: its id and the TTL the cluster granted.
struct etcd_lease {
  std::int64_t id = 0;
  std::int64_t ttl_s = 0;
};

/// One key as the store holds it.
struct etcd_kv {
  std::string key, value;
  std::int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
};

/// A read: the store's revision when it was served, and the key if it exists.
struct etcd_range {
  std::int64_t revision = 0;
  std::optional<etcd_kv> kv;
};

/// A transaction's outcome: whether its compare held, and the store's revision after it (the
/// put's own revision when it succeeded).
struct etcd_txn {
  bool succeeded = false;
  std::int64_t revision = 0;
};

class etcd_client {
public:
  /// `endpoints`: "http://127.0.0.1:port" of each member; requests go to the member that last
  /// answered, and to the next only when a member is gone: it refused the connection, or reset it
  /// before any answer (a member being killed). Such a request may have been applied by a member
  /// that died answering it: a caller that repeats a swap must recognise its own write (its lease).
  explicit etcd_client(std::vector<std::string> endpoints,
                       std::chrono::milliseconds request_timeout = std::chrono::seconds{2});
  ~etcd_client();
  etcd_client(etcd_client&&) noexcept;
  etcd_client& operator=(etcd_client&&) noexcept;

  /// A new lease of `ttl`: keys put under it vanish when it lapses unless keep_alive renews it.
  caf::expected<etcd_lease> grant(std::chrono::seconds ttl);

  /// Renews `lease_id`; its TTL from now, or 0 when it already lapsed (its keys are gone).
  caf::expected<std::int64_t> keep_alive(std::int64_t lease_id);

  /// How long `lease_id` has left, without renewing it; 0 when it lapsed.
  caf::expected<std::int64_t> time_to_live(std::int64_t lease_id);

  /// Ends `lease_id` now: its keys vanish.
  caf::error revoke(std::int64_t lease_id);

  /// Sets `key` (under `lease_id` unless 0); the store's revision of the write.
  caf::expected<std::int64_t> put(const std::string& key, const std::string& value,
                                  std::int64_t lease_id = 0);

  /// Reads `key` (linearizable: through the leader's quorum).
  caf::expected<etcd_range> range(const std::string& key);

  /// Every key starting with `prefix`, in key order (linearizable).
  caf::expected<std::vector<etcd_kv>> range_prefix(const std::string& prefix);

  /// Puts `key` only if its mod_revision is still `expected_mod_revision` (0: only if it does not
  /// exist), atomically: a take-over-if-unchanged that two nodes cannot both win.
  caf::expected<etcd_txn> put_if_mod_revision(const std::string& key, const std::string& value,
                                              std::int64_t lease_id,
                                              std::int64_t expected_mod_revision);

  /// Deletes every key starting with `prefix` (a test's or a run's own keys); how many.
  caf::expected<std::int64_t> remove_prefix(const std::string& prefix);

  const std::vector<std::string>& endpoints() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace dca::services
