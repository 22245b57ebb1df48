// dca::services' etcd client against the real 3-member cluster scripts/services runs: revisions
// that only grow, compare-and-swap on mod_revision, a lease whose lapse frees its key, and what
// consensus adds: with one member of three killed a write still commits, with two killed a write
// fails within the client's bound instead of hanging or pretending. The member-killing case runs
// its own throwaway cluster (DCA_SERVICES_ROOT in a temporary folder), so it never disturbs the
// checkout's.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <unistd.h>

#include "dca/services/endpoints.hpp"
#include "dca/services/etcd_client.hpp"
#include "etcd_private_cluster.hpp"

namespace {

using namespace std::chrono_literals;
using dca::services::etcd_client;
using dca::services::etcd_errc;
using dca::services::testing::private_cluster;
using steady = std::chrono::steady_clock;

/// Keys of this process only, removed when the test ends.
struct own_keys {
  etcd_client etcd{dca::services::etcd_endpoints()};
  std::string prefix = "dca-test/" + std::to_string(::getpid()) + "/";
  ~own_keys() { etcd.remove_prefix(prefix); }
};

/// What went wrong, for a failed check's message ("" when nothing did).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : dca::services::etcd_message(x.error());
}

} // namespace

TEST_CASE("the store's revision only grows and a stale mod_revision loses the swap") {
  own_keys keys;
  auto key = keys.prefix + "owner";
  auto first = keys.etcd.put_if_mod_revision(key, "node-a", 0, 0);
  REQUIRE_MESSAGE(first, why(first));
  CHECK(first->succeeded);
  auto again = keys.etcd.put_if_mod_revision(key, "node-b", 0, 0); // it exists now
  REQUIRE(again);
  CHECK_FALSE(again->succeeded);
  auto read = keys.etcd.range(key);
  REQUIRE(read);
  REQUIRE(read->kv);
  CHECK(read->kv->value == "node-a");
  CHECK(read->kv->mod_revision == first->revision);
  auto taken = keys.etcd.put_if_mod_revision(key, "node-b", 0, read->kv->mod_revision);
  REQUIRE(taken);
  CHECK(taken->succeeded);
  CHECK(taken->revision > first->revision);
  auto previous = taken->revision;
  for (int i = 0; i < 5; ++i) {
    auto revision = keys.etcd.put(keys.prefix + "k" + std::to_string(i), "v");
    REQUIRE(revision);
    CHECK(*revision > previous);
    previous = *revision;
  }
  CHECK(keys.etcd.range(keys.prefix + "absent")->kv == std::nullopt);
}

TEST_CASE("a lease that lapses frees its key, and one revoked frees it at once") {
  own_keys keys;
  auto lease = keys.etcd.grant(1s);
  REQUIRE(lease);
  CHECK(lease->ttl_s >= 1);
  REQUIRE(keys.etcd.put(keys.prefix + "lapses", "node-a", lease->id));
  auto renewed = keys.etcd.keep_alive(lease->id);
  REQUIRE(renewed);
  CHECK(*renewed >= 1);
  // The lapse is etcd's own timer: we poll for it, bounded (its TTL plus the leader's tick).
  auto deadline = steady::now() + 10s;
  while (keys.etcd.range(keys.prefix + "lapses")->kv && steady::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(keys.etcd.range(keys.prefix + "lapses")->kv == std::nullopt);
  CHECK(*keys.etcd.keep_alive(lease->id) == 0);
  auto revoked = keys.etcd.grant(60s);
  REQUIRE(revoked);
  REQUIRE(keys.etcd.put(keys.prefix + "revoked", "node-a", revoked->id));
  CHECK_FALSE(keys.etcd.revoke(revoked->id));
  CHECK(keys.etcd.range(keys.prefix + "revoked")->kv == std::nullopt);
  auto unknown = keys.etcd.put(keys.prefix + "x", "v", revoked->id);
  REQUIRE_FALSE(unknown);
  CHECK(dca::services::is(unknown.error(), etcd_errc::refused));
}

TEST_CASE("a cluster nobody runs is unreachable, in one line that says what to run") {
  etcd_client etcd{{"http://127.0.0.1:1", "http://127.0.0.1:2"}, 500ms};
  auto put = etcd.put("k", "v");
  REQUIRE_FALSE(put);
  CHECK(dca::services::is(put.error(), etcd_errc::unreachable));
  auto line = dca::services::etcd_message(put.error());
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find("scripts/services start --only etcd") != std::string::npos);
}

TEST_CASE("with one of three members killed a write commits, with two it fails within a bound") {
  private_cluster cluster;
  etcd_client etcd{cluster.members, 2s};
  REQUIRE(etcd.put("k", "before"));
  cluster.kill_member(cluster.leader()); // the worst one to lose: an election must follow
  auto killed_at = steady::now();
  caf::expected<std::int64_t> put = caf::error{};
  do // the two left elect a leader within about two election timeouts
    put = etcd.put("k", "after one");
  while (!put && steady::now() - killed_at < 15s);
  REQUIRE_MESSAGE(put, why(put));
  MESSAGE(
      "a write committed "
      << std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - killed_at).count()
      << " ms after the leader was killed");
  cluster.kill_member(cluster.leader());
  auto started = steady::now();
  auto refused = etcd.put("k", "after two");
  auto took = steady::now() - started;
  REQUIRE_FALSE(refused);
  INFO(why(refused));
  CHECK((dca::services::is(refused.error(), etcd_errc::no_quorum) ||
         dca::services::is(refused.error(), etcd_errc::timed_out)));
  CHECK(took < 4s); // the client's 2 s and a leader probe's 0.5 s, never etcd's own 7 s
  CHECK(cluster.services("status --only etcd").find("in doubt: etcd has no quorum") !=
        std::string::npos);
}
