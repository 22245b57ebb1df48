// The journal interface's defaults: replay through read_stream, and I/O run inline.
#include "dca/es/journal.hpp"

namespace dca::es {

journal::~journal() = default;

namespace {

event_view view_of(const event_record& rec) {
  return event_view{rec.position, rec.seq, rec.type,
                    byte_view{rec.payload.data(), rec.payload.size()}, rec.idempotency_key};
}

} // namespace

caf::expected<std::size_t> journal::replay_stream(const entity_id& entity, std::uint64_t from_seq,
                                                  std::size_t max, const event_visitor& visit) {
  std::vector<event_record> batch;
  if (auto err = read_stream(entity, from_seq, max, batch))
    return err;
  for (auto& rec : batch)
    if (auto err = visit(view_of(rec)))
      return err;
  return batch.size();
}

void journal::run_io(std::function<void()> task) {
  task();
}

} // namespace dca::es
