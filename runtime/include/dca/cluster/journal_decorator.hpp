// A journal that passes every call to another one: the base of journals that change one thing on
// the way (fenced_journal stamps appends with a fence; tests record what was appended).
#pragma once

#include "dca/es/journal.hpp"

namespace dca::cluster {

class journal_decorator : public dca::es::journal {
public:
  explicit journal_decorator(dca::es::journal_ptr inner);

  void append(dca::es::append_request req, dca::es::append_callback done) override;
  bool completes_inline() const noexcept override;
  caf::error read_stream(const dca::es::entity_id& entity, std::uint64_t from_seq, std::size_t max,
                         std::vector<dca::es::event_record>& out) override;
  caf::expected<std::size_t> replay_stream(const dca::es::entity_id& entity, std::uint64_t from_seq,
                                           std::size_t max,
                                           const dca::es::event_visitor& visit) override;
  caf::error read_all(std::uint64_t after, std::size_t max,
                      std::vector<dca::es::event_record>& out) override;
  caf::expected<std::optional<dca::es::snapshot_record>>
  load_snapshot(const dca::es::entity_id& entity) override;
  void save_snapshot(const dca::es::entity_id& entity, dca::es::snapshot_record snapshot) override;
  std::uint64_t committed_position() const override;
  int subscribe(dca::es::commit_listener listener) override;
  void unsubscribe(int id) override;
  bool reads_block() const noexcept override;
  void run_io(std::function<void()> task) override;

protected:
  dca::es::journal& inner() const noexcept { return *inner_; }

private:
  dca::es::journal_ptr inner_;
};

} // namespace dca::cluster
