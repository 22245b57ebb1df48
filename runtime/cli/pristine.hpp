// The kit's files as it shipped them, from git: what `dca reset` restores and what `dca dev check`
// checks, so neither mistakes a learner's edits for the exercise.
#pragma once

#include <optional>
#include <string>

#include "context.hpp"

namespace dca::cli {

/// File `rel` (relative to the checkout) at the kit's upstream (what the learner cloned), else
/// origin/HEAD, else HEAD; DCA_PRISTINE_REF, or a non-empty `ref`, names the one commit to use.
/// Sets `ref` to the commit it came from; nothing when git has no such file there.
std::optional<std::string> pristine_text(const context& ctx, const std::string& rel,
                                         std::string& ref);

} // namespace dca::cli
