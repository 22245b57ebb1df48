// When pipelined sync starts its next fdatasync: after gathering as many committed appends as the
// previous sync answered, or when the writer is blocked, or after its wait bound; never a floor.
#include <doctest/doctest.h>

#include "sync_gathering.hpp" // private: runtime/src/es

using dca::es::sync_gathering;
using namespace std::chrono_literals;

TEST_CASE("the first sync, and one after a sync that answered a single append, start at once") {
  sync_gathering g{std::chrono::microseconds{-1}};
  CHECK(g.may_start(1, false, 0ms));
  g.synced(1, 10ms);
  CHECK(g.may_start(1, false, 0ms));
}

TEST_CASE("a sync waits for as many appends as the previous one answered") {
  sync_gathering g{std::chrono::hours{1}};
  g.synced(3, 10ms);
  CHECK_FALSE(g.may_start(1, false, 0ms));
  CHECK_FALSE(g.may_start(2, false, 30min));
  CHECK(g.may_start(3, false, 0ms));
  CHECK(g.may_start(4, false, 0ms));
}

TEST_CASE("a sync does not wait while the writer is blocked on the unsynced batches") {
  sync_gathering g{std::chrono::hours{1}};
  g.synced(1000, 10ms);
  CHECK(g.may_start(10, true, 0ms));
}

TEST_CASE("the adaptive bound is half the mean fdatasync time, averaged over about 8 syncs") {
  sync_gathering g{std::chrono::microseconds{-1}};
  g.synced(1000, 12ms);
  CHECK(g.mean_sync_time() == 12ms);
  CHECK(g.wait_bound() == 6ms);
  CHECK_FALSE(g.may_start(10, false, 5ms));
  CHECK(g.may_start(10, false, 6ms));
  g.synced(1000, 20ms); // (7 * 12 + 20) / 8 = 13
  CHECK(g.mean_sync_time() == 13ms);
  CHECK(g.wait_bound() == 6500us);
}

TEST_CASE("a fixed bound, and 0 for never waiting") {
  sync_gathering fixed{std::chrono::microseconds{250}};
  fixed.synced(1000, 50ms);
  CHECK(fixed.wait_bound() == 250us);
  CHECK_FALSE(fixed.may_start(1, false, 249us));
  CHECK(fixed.may_start(1, false, 250us));
  sync_gathering never{std::chrono::microseconds{0}};
  never.synced(1000, 50ms);
  CHECK(never.may_start(1, false, 0ms));
}
