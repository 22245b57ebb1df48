// What an entity is in memory, apart from the actor that hosts it (its image), and how that image
// is rebuilt from the journal: latest snapshot, then the tail of its stream, in bounded batches.
// The entity's actor owns its image while it runs; a hibernating entity hands the image to its
// host, which gives it to the next incarnation without reading the journal again.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/deep_to_string.hpp>

#include "dca/assert.hpp"
#include "dca/es/activity.hpp"
#include "dca/es/codec.hpp"
#include "dca/es/entity.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/event_decoders.hpp"
#include "dca/es/event_types.hpp"
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
  partner_seqs partners; // each sender's last applied stamp (activity.hpp)
  std::uint64_t events_since_snapshot = 0;
};

/// What recovery did besides rebuilding the image, for a caller that wants to know.
struct recovery_report {
  std::string snapshot_ignored; // why the latest snapshot was not used (empty: used, or none)
};

namespace detail {

template <class E, class = void>
struct declared_state_version {
  static constexpr std::uint32_t value = 1;
};

template <class E>
struct declared_state_version<E, std::void_t<decltype(E::state_version)>> {
  static constexpr std::uint32_t value = E::state_version;
};

} // namespace detail

/// What a snapshot of E's state is written as and must say to be read back: the state's type name
/// and E::state_version (1 when E declares none), e.g. "account_state@1". Bump state_version when
/// the state's fields change: older snapshots are then ignored and the events replayed instead.
template <class E>
const std::string& snapshot_layout() {
  static const std::string layout = type_name_of<typename E::state>() + "@" +
                                    std::to_string(detail::declared_state_version<E>::value);
  return layout;
}

namespace detail {

/// Restores `img` from `snap`; returns why it cannot be used instead (img is then untouched).
/// A snapshot is a cache of the events, so one of another layout is skipped, never misread.
template <class E>
std::string restore_snapshot(const snapshot_record& snap, const entity_options& opts,
                             entity_image<E>& img) {
  auto where = "snapshot at seq " + std::to_string(snap.seq);
  std::string layout;
  std::size_t body_offset = 0;
  try {
    caf::binary_deserializer source{nullptr, snap.payload.data(), snap.payload.size()};
    if (source(layout) || layout != snapshot_layout<E>())
      return where + " is not of the layout " + snapshot_layout<E>() +
             " (an older state, or written before dca recorded layouts)";
    body_offset = snap.payload.size() - source.remaining();
  } catch (std::exception&) {
    return where + " is not of the layout " + snapshot_layout<E>();
  }
  typename E::state value;
  std::vector<idempotency_entry> entries;
  partner_seqs partners;
  byte_view body{snap.payload.data() + body_offset, snap.payload.size() - body_offset};
  // Snapshots written before activities hold no partners: they still restore.
  if (decode(body, value, entries, partners)) {
    value = typename E::state{};
    entries.clear();
    partners.clear();
    if (auto err = decode(body, value, entries))
      return where + " does not decode: " + render(err);
  }
  img.value = std::move(value);
  img.keys.assign(std::move(entries), opts.idempotency_keys_max);
  img.partners = std::move(partners);
  img.seq = snap.seq;
  img.position = snap.position;
  return {};
}

/// Replay's error for the event at `seq`: decoding's own code, with the stream and seq in front.
inline caf::error replay_error(const entity_id& id, std::uint64_t seq, const caf::error& err) {
  auto where = id.to_string() + " seq " + std::to_string(seq) + ": ";
  if (is(err, errc::event_type_unknown))
    return prefixed(err, where);
  return make_error(errc::decode_failed, where + render(err));
}

} // namespace detail

/// Rebuilds `img` (default-constructed) for `id` from `j`: snapshot + tail. Each event is decoded
/// by its stored type (event_decoders.hpp); a type E does not read stops recovery with
/// errc::event_type_unknown. A snapshot of another state layout is ignored (the reason goes to
/// `report`) and the events are replayed from the start.
template <class E>
caf::error recover(journal& j, const entity_id& id, const entity_options& opts,
                   entity_image<E>& img, recovery_report* report = nullptr) {
  auto snap = j.load_snapshot(id);
  if (!snap)
    return snap.error();
  if (*snap)
    if (auto reason = detail::restore_snapshot(**snap, opts, img); !reason.empty() && report)
      report->snapshot_ignored = id.to_string() + ": " + reason + "; replayed the events instead";
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
    if (auto err = decode_event<E>(rec.type, rec.payload, ev))
      return detail::replay_error(id, rec.seq, err);
    img.value = E::apply(std::move(img.value), ev);
    img.seq = rec.seq;
    img.position = rec.position;
    if (!rec.idempotency_key.empty()) {
      img.keys.insert({std::string{rec.idempotency_key}, rec.seq, rec.position},
                      opts.idempotency_keys_max);
      note_partner(img.partners, rec.idempotency_key);
    }
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
  if (encode(snap.payload, snapshot_layout<E>(), img.value, img.keys.entries(), img.partners))
    return; // an unencodable snapshot is skipped: replay still works
  snap.text = caf::deep_to_string(img.value);
  j.save_snapshot(id, std::move(snap));
  img.events_since_snapshot = 0;
}

} // namespace dca::es
