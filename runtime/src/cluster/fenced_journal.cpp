// The shard owner's view of the shared journal (fenced_journal.hpp) and the decorator it is built
// on (journal_decorator.hpp).
#include "dca/cluster/fenced_journal.hpp"

#include "dca/assert.hpp"

namespace dca::cluster {

using namespace dca::es;

journal_decorator::journal_decorator(journal_ptr inner) : inner_(std::move(inner)) {
  DCA_ASSERT(inner_ != nullptr);
}

void journal_decorator::append(append_request req, append_callback done) {
  inner_->append(std::move(req), std::move(done));
}

bool journal_decorator::completes_inline() const noexcept {
  return inner_->completes_inline();
}

caf::error journal_decorator::read_stream(const entity_id& entity, std::uint64_t from_seq,
                                          std::size_t max, std::vector<event_record>& out) {
  return inner_->read_stream(entity, from_seq, max, out);
}

caf::expected<std::size_t> journal_decorator::replay_stream(const entity_id& entity,
                                                            std::uint64_t from_seq, std::size_t max,
                                                            const event_visitor& visit) {
  return inner_->replay_stream(entity, from_seq, max, visit);
}

caf::error journal_decorator::read_all(std::uint64_t after, std::size_t max,
                                       std::vector<event_record>& out) {
  return inner_->read_all(after, max, out);
}

caf::expected<std::optional<snapshot_record>>
journal_decorator::load_snapshot(const entity_id& entity) {
  return inner_->load_snapshot(entity);
}

void journal_decorator::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  inner_->save_snapshot(entity, std::move(snapshot));
}

std::uint64_t journal_decorator::committed_position() const {
  return inner_->committed_position();
}

int journal_decorator::subscribe(commit_listener listener) {
  return inner_->subscribe(std::move(listener));
}

void journal_decorator::unsubscribe(int id) {
  inner_->unsubscribe(id);
}

bool journal_decorator::reads_block() const noexcept {
  return inner_->reads_block();
}

void journal_decorator::run_io(std::function<void()> task) {
  inner_->run_io(std::move(task));
}

fenced_journal::fenced_journal(journal_ptr shared, shard_fence fence)
    : journal_decorator(std::move(shared)), fence_(fence) {}

void fenced_journal::append(append_request req, append_callback done) {
  DCA_ASSERT_MSG(!req.fence, "only the shard's owner fences its appends");
  req.fence = fence_;
  inner().append(std::move(req), std::move(done));
}

} // namespace dca::cluster
