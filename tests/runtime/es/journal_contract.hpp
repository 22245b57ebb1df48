// The journal contract every journal keeps (streams, fencing, positions, bounded reads, no
// snapshot yet; then snapshots), and the small request builders the journal tests share. Run
// against the memory and SQLite journals (journal_test.cpp, sqlite_journal_test.cpp) and the
// PostgreSQL journal (postgres_journal_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dca/es/errors.hpp"
#include "dca/es/journal.hpp"
#include "es_test_support.hpp"

namespace dca::es::testing {

inline event_data ev(const std::string& text) {
  return event_data{"test", std::vector<char>(text.begin(), text.end()), text};
}

inline append_request req(const std::string& key, std::uint64_t expected,
                          std::vector<std::string> texts, std::string idem = {}) {
  append_request r;
  r.entity = entity_id{"thing", key};
  r.expected_seq = expected;
  for (auto& t : texts)
    r.events.push_back(ev(t));
  r.idempotency_key = std::move(idem);
  return r;
}

inline void check_contract(journal& j) {
  auto a = append_sync(j, req("a", 0, {"a1", "a2"}, "k1"));
  REQUIRE(a);
  CHECK(a->first_seq == 1);
  CHECK(a->last_seq == 2);
  CHECK(a->first_position == 1);
  CHECK(a->last_position == 2);
  auto b = append_sync(j, req("b", 0, {"b1"}));
  REQUIRE(b);
  CHECK(b->first_position == 3);
  // Fencing: a writer that believes "a" ends at 1 is refused and writes nothing.
  auto stale = append_sync(j, req("a", 1, {"bad"}));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::sequence_conflict));
  CHECK(j.committed_position() == 3);
  auto a3 = append_sync(j, req("a", 2, {"a3"}));
  REQUIRE(a3);
  CHECK(a3->first_seq == 3);
  CHECK(a3->first_position == 4);
  std::vector<event_record> out;
  REQUIRE(!j.read_stream(entity_id{"thing", "a"}, 2, 10, out));
  REQUIRE(out.size() == 2);
  CHECK(out[0].text == "a2");
  CHECK(out[0].idempotency_key == "k1");
  CHECK(out[1].seq == 3);
  CHECK(out[1].position == 4);
  REQUIRE(!j.read_stream(entity_id{"thing", "a"}, 1, 1, out));
  CHECK(out.size() == 1); // batches are bounded
  REQUIRE(!j.read_stream(entity_id{"thing", "none"}, 1, 10, out));
  CHECK(out.empty());
  REQUIRE(!j.read_all(1, 10, out));
  REQUIRE(out.size() == 3);
  CHECK(out[0].position == 2);
  CHECK(out[1].entity == entity_id{"thing", "b"});
  CHECK(out[2].position == 4);
  auto none = j.load_snapshot(entity_id{"thing", "a"});
  REQUIRE(none);
  CHECK(!none->has_value());
}

/// After check_contract: a snapshot is kept per entity, the latest replaces the one before, and
/// it is read back as written. Saving is asynchronous (best effort), so an append after it is the
/// barrier: journals write in queue order.
inline void check_snapshot_contract(journal& j) {
  entity_id a{"thing", "a"};
  j.save_snapshot(a, snapshot_record{2, 2, {'s', '2'}, "at 2"});
  j.save_snapshot(a, snapshot_record{3, 4, {'s', '\0', '3'}, "at 3"});
  REQUIRE(append_sync(j, req("c", 0, {"barrier"})));
  auto snap = j.load_snapshot(a);
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->seq == 3);
  CHECK((*snap)->position == 4);
  CHECK((*snap)->payload == std::vector<char>{'s', '\0', '3'});
  CHECK((*snap)->text == "at 3");
  auto other = j.load_snapshot(entity_id{"thing", "b"});
  REQUIRE(other);
  CHECK(!other->has_value());
}

} // namespace dca::es::testing
