// dca::crdt's errors (errors.hpp), built as the entity runtime's domain errors so that
// dca::es::render prints them on one line like every other error of the kit.
#include "dca/crdt/errors.hpp"

#include "dca/es/errors.hpp"

namespace dca::crdt {

const char* to_string(errc x) noexcept {
  switch (x) {
  case errc::malformed_state:
    return "malformed_state";
  case errc::oversized_state:
    return "oversized_state";
  case errc::unknown_replica:
    return "unknown_replica";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string detail) {
  return es::make_domain_error(error_category, static_cast<std::uint8_t>(code), to_string(code),
                               std::move(detail));
}

bool is(const caf::error& err, errc code) noexcept {
  return es::is_domain_error(err, error_category, static_cast<std::uint8_t>(code));
}

} // namespace dca::crdt
