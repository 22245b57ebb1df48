// What an entity is in memory, apart from the actor that hosts it (its image), and how that image
// is rebuilt from the journal: latest snapshot, then the tail of its stream, in bounded batches.
// The entity's actor owns its image while it runs; a hibernating entity hands the image to its
// host, which gives it to the next incarnation without reading the journal again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/deep_to_string.hpp>

#include "dca/assert.hpp"
#include "dca/es/codec.hpp"
#include "dca/es/entity.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/idempotency_keys.hpp"
#include "dca/es/journal.hpp"

namespace dca::es {

/// An entity's state and the runtime's bookkeeping for it: everything a snapshot holds.
template <class E>
struct entity_image {
  typename E::state value{};
  std::uint64_t seq = 0;      // last applied event of this entity
  std::uint64_t position = 0; // global position of that event
  idempotency_keys keys;
  std::uint64_t events_since_snapshot = 0;
};

/// Rebuilds `img` (default-constructed) for `id` from `j`: snapshot + tail.
template <class E>
caf::error recover(journal& j, const entity_id& id, const entity_options& opts,
                   entity_image<E>& img) {
  auto snap = j.load_snapshot(id);
  if (!snap)
    return snap.error();
  if (*snap) {
    std::vector<idempotency_entry> entries;
    if (auto err = decode((*snap)->payload, img.value, entries))
      return make_error(errc::decode_failed, id.to_string() + ": snapshot at seq " +
                                                 std::to_string((*snap)->seq) + ": " + render(err));
    img.keys.assign(std::move(entries), opts.idempotency_keys_max);
    img.seq = (*snap)->seq;
    img.position = (*snap)->position;
  }
  auto batch_max = opts.replay_batch_max;
  DCA_ASSERT(batch_max > 0);
  // Zero-copy batches: each event is decoded straight from the journal's row and applied.
  auto replay_one = [&](const event_view& rec) -> caf::error {
    // Paired check: replay sees exactly the sequence numbers append assigned.
    if (rec.seq != img.seq + 1)
      return make_error(errc::journal_corrupt, id.to_string() + ": expected seq " +
                                                   std::to_string(img.seq + 1) + ", found " +
                                                   std::to_string(rec.seq));
    typename E::event ev;
    if (auto err = decode(rec.payload, ev))
      return make_error(errc::decode_failed,
                        id.to_string() + " seq " + std::to_string(rec.seq) + ": " + render(err));
    img.value = E::apply(std::move(img.value), ev);
    img.seq = rec.seq;
    img.position = rec.position;
    if (!rec.idempotency_key.empty())
      img.keys.insert({std::string{rec.idempotency_key}, rec.seq, rec.position},
                      opts.idempotency_keys_max);
    return caf::none;
  };
  event_visitor visit{std::ref(replay_one)};
  for (;;) {
    auto visited = j.replay_stream(id, img.seq + 1, batch_max, visit);
    if (!visited)
      return visited.error();
    if (*visited < batch_max)
      return caf::none;
  }
}

/// Saves a snapshot of `img` when snapshot_every events have been applied since the last one.
template <class E>
void maybe_snapshot(journal& j, const entity_id& id, const entity_options& opts,
                    entity_image<E>& img) {
  if (opts.snapshot_every == 0 || img.events_since_snapshot < opts.snapshot_every)
    return;
  snapshot_record snap;
  snap.seq = img.seq;
  snap.position = img.position;
  if (encode(snap.payload, img.value, img.keys.entries()))
    return; // an unencodable snapshot is skipped: replay still works
  snap.text = caf::deep_to_string(img.value);
  j.save_snapshot(id, std::move(snap));
  img.events_since_snapshot = 0;
}

} // namespace dca::es
