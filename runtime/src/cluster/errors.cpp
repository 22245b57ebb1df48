// The cluster's error codes, rendered through dca::es's domain errors.
#include "dca/cluster/errors.hpp"

#include "dca/es/errors.hpp"

namespace dca::cluster {

const char* to_string(errc x) noexcept {
  switch (x) {
  case errc::node_unreachable:
    return "node_unreachable";
  case errc::request_timeout:
    return "request_timeout";
  case errc::stale_epoch:
    return "stale_epoch";
  case errc::shard_unowned:
    return "shard_unowned";
  case errc::hops_exceeded:
    return "hops_exceeded";
  case errc::node_id_taken:
    return "node_id_taken";
  case errc::cluster_mismatch:
    return "cluster_mismatch";
  case errc::membership_lost:
    return "membership_lost";
  case errc::not_hosted:
    return "not_hosted";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string detail) {
  return dca::es::make_domain_error(error_category, static_cast<std::uint8_t>(code),
                                    to_string(code), std::move(detail));
}

bool is(const caf::error& err, errc code) noexcept {
  return dca::es::is_domain_error(err, error_category, static_cast<std::uint8_t>(code));
}

} // namespace dca::cluster
