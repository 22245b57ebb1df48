// The runtime's error codes and their one-line rendering.
#include "dca/es/errors.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

namespace dca::es {

const char* to_string(errc x) noexcept {
  switch (x) {
  case errc::overloaded:
    return "overloaded";
  case errc::sequence_conflict:
    return "sequence_conflict";
  case errc::journal_corrupt:
    return "journal_corrupt";
  case errc::journal_newer_schema:
    return "journal_newer_schema";
  case errc::journal_not_dca:
    return "journal_not_dca";
  case errc::journal_locked:
    return "journal_locked";
  case errc::journal_read_only:
    return "journal_read_only";
  case errc::journal_io:
    return "journal_io";
  case errc::journal_closed:
    return "journal_closed";
  case errc::decode_failed:
    return "decode_failed";
  case errc::entity_failed:
    return "entity_failed";
  case errc::timeout:
    return "timeout";
  case errc::event_type_unknown:
    return "event_type_unknown";
  case errc::stale_epoch:
    return "stale_epoch";
  case errc::fence_unsupported:
    return "fence_unsupported";
  case errc::lease_held:
    return "lease_held";
  case errc::sequence_gap:
    return "sequence_gap";
  case errc::sequence_stale:
    return "sequence_stale";
  case errc::activity_invalid:
    return "activity_invalid";
  case errc::saga_invalid:
    return "saga_invalid";
  case errc::step_answered_twice:
    return "step_answered_twice";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string detail) {
  return caf::error{static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(detail))};
}

caf::error make_error(errc code) {
  return caf::error{static_cast<std::uint8_t>(code), error_category};
}

bool is(const caf::error& err, errc code) noexcept {
  return is_domain_error(err, error_category, static_cast<std::uint8_t>(code));
}

caf::error make_domain_error(caf::atom_value category, std::uint8_t code, const char* name,
                             std::string detail) {
  return caf::error{code, category,
                    caf::make_message(std::string{name} + ": " + std::move(detail))};
}

bool is_domain_error(const caf::error& err, caf::atom_value category, std::uint8_t code) noexcept {
  return err && err.category() == category && err.code() == code; // CAF 0.17: none has no category
}

namespace {

std::string context_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return ctx.empty() ? std::string{} : caf::to_string(ctx);
}

} // namespace

caf::error prefixed(const caf::error& err, const std::string& prefix) {
  return caf::error{err.code(), err.category(), caf::make_message(prefix + context_text(err))};
}

std::string render(const caf::error& err) {
  if (!err)
    return "no error";
  std::string name;
  if (err.category() == error_category)
    name = to_string(static_cast<errc>(err.code()));
  else if (err.category() == caf::atom("system"))
    name = caf::to_string(static_cast<caf::sec>(err.code()));
  else if (err.context().size() == 1 && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0); // domain errors carry "code: detail"
  else
    return caf::to_string(err);
  auto detail = context_text(err);
  return detail.empty() ? name : name + ": " + detail;
}

} // namespace dca::es
