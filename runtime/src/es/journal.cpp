// The journal interface's defaults: replay through read_stream, and I/O run inline.
#include "dca/es/journal.hpp"

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"
#include "journal_refusals.hpp"

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

caf::error sequence_conflict_error(const append_request& req, std::uint64_t head) {
  return make_error(errc::sequence_conflict, req.entity.to_string() + ": expected sequence " +
                                                 std::to_string(req.expected_seq) +
                                                 ", stream is at " + std::to_string(head));
}

caf::error stale_epoch_error(const append_request& req, std::optional<std::uint64_t> current) {
  DCA_ASSERT(req.fence);
  auto claimed =
      "shard " + std::to_string(req.fence->shard) + " epoch " + std::to_string(req.fence->epoch);
  auto now = current ? "the shard is at epoch " + std::to_string(*current)
                     : std::string{"the shard has never been leased"};
  return make_error(errc::stale_epoch, req.entity.to_string() + ": append fenced by " + claimed +
                                           ", but " + now + " (another node owns it)");
}

} // namespace dca::es
