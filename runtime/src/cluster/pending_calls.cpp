// The table of calls in flight to other nodes (pending_calls.hpp).
#include "dca/cluster/pending_calls.hpp"

namespace dca::cluster {

std::uint64_t pending_calls::open(const std::string& node, caf::response_promise rp) {
  auto id = ++last_id_;
  calls_.emplace(id, call{node, std::move(rp)});
  return id;
}

std::optional<caf::response_promise> pending_calls::close(std::uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end())
    return std::nullopt;
  auto rp = std::move(it->second.rp);
  calls_.erase(it);
  return rp;
}

std::size_t pending_calls::fail_node(const std::string& node, const caf::error& err) {
  std::size_t failed = 0;
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (it->second.node == node) {
      it->second.rp.deliver(err);
      it = calls_.erase(it);
      ++failed;
    } else {
      ++it;
    }
  }
  return failed;
}

std::uint64_t pending_calls::add_batch(std::vector<std::uint64_t> ids) {
  auto batch = ++last_batch_;
  batches_.emplace(batch, std::move(ids));
  return batch;
}

std::size_t pending_calls::expire_batch(std::uint64_t batch, std::chrono::milliseconds timeout) {
  auto it = batches_.find(batch);
  if (it == batches_.end())
    return 0;
  std::size_t failed = 0;
  for (auto id : it->second) {
    auto open_call = calls_.find(id);
    if (open_call == calls_.end())
      continue; // answered, or failed with its node
    open_call->second.rp.deliver(
        call_error(caf::sec::request_timeout, open_call->second.node, timeout));
    calls_.erase(open_call);
    ++failed;
  }
  batches_.erase(it);
  return failed;
}

caf::error call_error(const caf::error& err, const std::string& node,
                      std::chrono::milliseconds timeout) {
  if (err == caf::sec::request_timeout)
    return make_error(errc::request_timeout, "no answer from node " + node + " within " +
                                                 std::to_string(timeout.count()) + " ms");
  return err;
}

} // namespace dca::cluster
