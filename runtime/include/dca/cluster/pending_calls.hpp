// Commands a node has passed to other nodes and not yet seen answered, by the node each went to
// and the batch it went in (command_batch.hpp). Every batch has a timeout (the bound when nothing
// else is known): when it fires, the batch's calls still open fail with errc::request_timeout. When
// the failure detector declares a node dead, every call to it fails at once with
// errc::node_unreachable instead. Whichever comes first answers; the later one finds the call
// closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/response_promise.hpp>
#include <caf/sec.hpp>

#include "dca/cluster/errors.hpp"

namespace dca::cluster {

class pending_calls {
public:
  /// Registers a call to `node` answered through `rp`; returns its id.
  std::uint64_t open(const std::string& node, caf::response_promise rp);

  /// Takes the call's promise back, or nothing when the call was already failed.
  std::optional<caf::response_promise> close(std::uint64_t id);

  /// Fails every call to `node` with `err`; returns how many there were.
  std::size_t fail_node(const std::string& node, const caf::error& err);

  /// Notes that the calls `ids` went out together; returns the batch's number.
  std::uint64_t add_batch(std::vector<std::uint64_t> ids);

  /// The batch's bound ran out: fails its calls still open with errc::request_timeout (naming
  /// their node and `timeout`); returns how many there were.
  std::size_t expire_batch(std::uint64_t batch, std::chrono::milliseconds timeout);

  std::size_t size() const noexcept { return calls_.size(); }

private:
  struct call {
    std::string node;
    caf::response_promise rp;
  };
  std::unordered_map<std::uint64_t, call> calls_;
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> batches_;
  std::uint64_t last_id_ = 0;
  std::uint64_t last_batch_ = 0;
};

/// CAF's request timeout, said in the cluster's words (which node, which bound); other errors as
/// they are.
caf::error call_error(const caf::error& err, const std::string& node,
                      std::chrono::milliseconds timeout);

/// Sends `xs...` to `dest` on `node` as a request bounded by `timeout`, and answers `rp` with its
/// `Reply`, its error, or node_unreachable when `calls` fails the node first. `calls` must live in
/// `self`'s state.
template <class Reply, class Actor, class... Ts>
void call_bounded(Actor* self, pending_calls& calls, const std::string& node,
                  const caf::actor& dest, std::chrono::milliseconds timeout,
                  caf::response_promise rp, Ts&&... xs) {
  auto id = calls.open(node, std::move(rp));
  self->request(dest, timeout, std::forward<Ts>(xs)...)
      .then(
          [&calls, id](Reply& reply) {
            if (auto p = calls.close(id))
              p->deliver(std::move(reply));
          },
          [&calls, id, node, timeout](caf::error& err) {
            if (auto p = calls.close(id))
              p->deliver(call_error(err, node, timeout));
          });
}

} // namespace dca::cluster
