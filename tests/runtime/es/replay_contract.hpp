// The replay contract every journal keeps: replay_stream visits what read_stream returns, in
// bounded batches, a visitor's error stops it, and recovery through it gives the image a copying
// replay gives. Run by replay_test.cpp (memory, SQLite) and postgres_journal_test.cpp.
#pragma once

#include <doctest/doctest.h>

#include <caf/deep_to_string.hpp>

#include "dca/es/codec.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/recovery.hpp"
#include "dca/examples/bank.hpp"
#include "es_test_support.hpp"

namespace dca::es::testing {

using dca::examples::bank::account;
using dca::examples::bank::account_opened;
using dca::examples::bank::deposited;
using dca::examples::bank::withdrawn;

inline const entity_id alice{"account", "alice"};
inline const entity_id bob{"account", "bob"};

/// One command's events for `id`, ending at `expected` + events.size().
inline void append_events(journal& j, const entity_id& id, std::uint64_t expected,
                          std::vector<account::event> events, std::string idempotency_key = {}) {
  append_request req;
  req.entity = id;
  req.expected_seq = expected;
  for (auto& ev : events)
    req.events.push_back(*to_event_data(ev));
  req.idempotency_key = std::move(idempotency_key);
  REQUIRE(append_sync(j, std::move(req)));
}

/// Alice: opened, then 10 commands of deposits/withdrawals (some with two events, some with
/// idempotency keys), interleaved with Bob's so positions and seqs differ.
inline void fill(journal& j) {
  append_events(j, alice, 0, {account_opened{"Alice"}}, "open-a");
  append_events(j, bob, 0, {account_opened{"Bob"}});
  std::uint64_t seq = 1;
  for (int i = 1; i <= 10; ++i) {
    std::vector<account::event> evs{deposited{100 * i}};
    if (i % 3 == 0)
      evs.push_back(withdrawn{7});
    auto key = i % 2 == 0 ? "cmd-" + std::to_string(i) : std::string{};
    append_events(j, alice, seq, evs, key);
    seq += evs.size();
    append_events(j, bob, static_cast<std::uint64_t>(i), {deposited{1}});
  }
}

/// What recovery did before replay_stream: copy each batch with read_stream, then decode.
inline entity_image<account> copying_replay(journal& j, const entity_id& id,
                                            std::size_t batch_max) {
  entity_image<account> img;
  std::vector<event_record> batch;
  for (;;) {
    REQUIRE(!j.read_stream(id, img.seq + 1, batch_max, batch));
    for (auto& rec : batch) {
      REQUIRE(rec.seq == img.seq + 1);
      account::event ev;
      REQUIRE(!decode(rec.payload, ev));
      img.value = account::apply(std::move(img.value), ev);
      img.seq = rec.seq;
      img.position = rec.position;
      if (!rec.idempotency_key.empty())
        img.keys.insert({rec.idempotency_key, rec.seq, rec.position}, 1000);
    }
    if (batch.size() < batch_max)
      return img;
  }
}

inline std::string show(const entity_image<account>& img) {
  return caf::deep_to_string(img.value) + " seq " + std::to_string(img.seq) + " position " +
         std::to_string(img.position) + " keys " + caf::deep_to_string(img.keys.entries());
}

/// Every event replay_stream visits from `from_seq`, copied, next to read_stream's.
inline void check_views_match_records(journal& j, const entity_id& id, std::uint64_t from_seq,
                                      std::size_t max) {
  std::vector<event_record> expected;
  REQUIRE(!j.read_stream(id, from_seq, max, expected));
  std::vector<event_record> seen;
  auto visited = j.replay_stream(id, from_seq, max, [&](const event_view& v) -> caf::error {
    event_record rec;
    rec.position = v.position;
    rec.seq = v.seq;
    rec.payload.assign(v.payload.data, v.payload.data + v.payload.size);
    rec.idempotency_key = std::string{v.idempotency_key};
    seen.push_back(std::move(rec));
    return caf::none;
  });
  REQUIRE(visited);
  CHECK(*visited == expected.size());
  REQUIRE(seen.size() == expected.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].position == expected[i].position);
    CHECK(seen[i].seq == expected[i].seq);
    CHECK(seen[i].payload == expected[i].payload);
    CHECK(seen[i].idempotency_key == expected[i].idempotency_key);
  }
}

inline void check_replay(journal& j) {
  fill(j);
  for (std::size_t max : {1, 3, 5, 1000})
    for (std::uint64_t from : {0, 1, 2, 7, 14, 15, 100})
      check_views_match_records(j, alice, from, max);
  check_views_match_records(j, entity_id{"account", "nobody"}, 1, 10);
  // A visitor's error stops the read at once and comes back as is.
  int calls = 0;
  auto stopped = j.replay_stream(alice, 1, 10, [&](const event_view&) -> caf::error {
    ++calls;
    return calls == 2 ? make_error(errc::timeout, "stop here") : caf::none;
  });
  REQUIRE(!stopped);
  CHECK(render(stopped.error()) == "timeout: stop here");
  CHECK(calls == 2);
  // Recovery in bounded batches (including sizes that split a command's events) gives the image
  // a copying replay gives.
  auto reference = copying_replay(j, alice, 1000);
  CHECK(reference.value.balance_cents == 5500 - 3 * 7);
  for (std::size_t batch : {1, 2, 3, 14, 15, 1000}) {
    entity_options opts;
    opts.replay_batch_max = batch;
    entity_image<account> img;
    REQUIRE(!recover(j, alice, opts, img));
    CHECK(show(img) == show(reference));
  }
}

} // namespace dca::es::testing
