// The journal as one shard's owner sees it: every append carries the owner's fence (shard,
// epoch), fixed when the node took the lease, so the shared journal refuses it with
// dca::es::errc::stale_epoch once another node holds the shard. A node starts one entity host per
// shard it owns, over one of these; losing the shard stops the host, and taking it again starts a
// new host over a new fence, whose entities recover from the journal.
#pragma once

#include "dca/cluster/journal_decorator.hpp"

namespace dca::cluster {

class fenced_journal : public journal_decorator {
public:
  fenced_journal(dca::es::journal_ptr shared, dca::es::shard_fence fence);

  const dca::es::shard_fence& fence() const noexcept { return fence_; }

  void append(dca::es::append_request req, dca::es::append_callback done) override;

private:
  dca::es::shard_fence fence_;
};

} // namespace dca::cluster
