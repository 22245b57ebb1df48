// States and deltas as bytes: they round-trip, and bad input (oversized, truncated, trailing
// bytes, broken invariants, a replica we do not know) is refused with a one-line error while the
// state it was meant for stays as it was.
#include "crdt_test_support.hpp"

#include <map>
#include <set>

#include "dca/crdt/codec.hpp"
#include "dca/crdt/lww_register.hpp"
#include "dca/crdt/or_set.hpp"
#include "dca/crdt/pn_counter.hpp"
#include "dca/es/errors.hpp"

using namespace dca::crdt;

namespace {

or_set<std::string> sample_set() {
  or_set<std::string> s;
  s.add("a", "apple");
  s.add("b", "pear");
  s.remove("apple");
  s.add("c", "plum");
  return s;
}

} // namespace

TEST_CASE("every CRDT round-trips through its bytes") {
  auto set = sample_set();
  auto decoded = decode<or_set<std::string>>(encode(set), {}, crdt_test::replicas);
  REQUIRE(decoded);
  CHECK(*decoded == set);
  // A decoded set works as a replica: a remove merged into it finds the dots it removes.
  set.merge(decoded->remove("pear"));
  CHECK_FALSE(decoded->contains("pear"));
  CHECK(*decoded == set);
  pn_counter counter;
  counter.increment("a", 7);
  counter.decrement("b", 2);
  CHECK(*decode<pn_counter>(encode(counter), {}, crdt_test::replicas) == counter);
  lww_register<std::string> reg;
  reg.assign("c", "value", 42);
  CHECK(*decode<lww_register<std::string>>(encode(reg), {}, crdt_test::replicas) == reg);
}

TEST_CASE("an oversized delta is refused and the state is unchanged") {
  auto set = sample_set();
  auto before = set;
  or_set<std::string> big;
  for (int i = 0; i < 200; ++i)
    big.add("a", "item-" + std::to_string(i));
  state_limits limits;
  limits.bytes_max = 1024;
  auto err = merge_bytes(set, encode(big), limits, crdt_test::replicas);
  CHECK(is(err, errc::oversized_state));
  CHECK(dca::es::render(err).find("over the limit of 1024") != std::string::npos);
  CHECK(set == before);
}

TEST_CASE("truncated, trailing and garbage bytes are refused as malformed, state unchanged") {
  auto set = sample_set();
  auto before = set;
  auto bytes = encode(sample_set());
  auto truncated = std::vector<char>(bytes.begin(), bytes.end() - 3);
  auto trailing = bytes;
  trailing.push_back('x');
  std::vector<char> garbage(64, '\xff');
  for (auto* bad : {&truncated, &trailing, &garbage}) {
    auto err = merge_bytes(set, *bad, {}, crdt_test::replicas);
    CHECK(is(err, errc::malformed_state));
    CHECK(set == before);
  }
}

TEST_CASE("a delta from an unknown replica is refused, state unchanged") {
  auto set = sample_set();
  auto before = set;
  or_set<std::string> stray;
  auto err = merge_bytes(set, encode(stray.add("z", "intruder")), {}, crdt_test::replicas);
  CHECK(is(err, errc::unknown_replica));
  CHECK(dca::es::render(err) ==
        "unknown_replica: the causal context names replica 'z', not one of ours");
  CHECK(set == before);
  g_counter counter;
  auto counter_err =
      merge_bytes(counter, encode(g_counter{}.increment("z", 1)), {}, crdt_test::replicas);
  CHECK(is(counter_err, errc::unknown_replica));
  CHECK(counter.value() == 0);
}

TEST_CASE("an OR-Set holding a dot its context has not seen is malformed") {
  // The OR-Set's layout, written by hand: entries, then the causal context (empty here).
  std::map<std::string, std::set<dot>> entries{{"ghost", {dot{"a", 3}}}};
  std::vector<char> bytes;
  REQUIRE_FALSE(dca::es::encode(bytes, entries, dot_context{}));
  auto decoded = decode<or_set<std::string>>(bytes, {}, crdt_test::replicas);
  REQUIRE_FALSE(decoded);
  CHECK(is(decoded.error(), errc::malformed_state));
  CHECK(dca::es::render(decoded.error()).find("\"ghost\"") != std::string::npos);
}
