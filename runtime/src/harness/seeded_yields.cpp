// Seeded yields: installs the explorer's noise hook on this thread for the scope of a worker.
#include "dca/harness/seeded_yields.hpp"

#include "dca/assert.hpp"
#include "dca/explore/detail/hooks.hpp"

namespace dca::harness {

struct seeded_yields::state {
  explore::detail::noise noise;
  explore::detail::noise* before = nullptr; // what this thread had, restored at the end
};

seeded_yields::seeded_yields(std::optional<std::uint64_t> seed, std::uint64_t stream,
                             std::uint32_t one_in) {
  DCA_ASSERT(one_in > 0);
  if (!seed)
    return;
  state_ = std::make_unique<state>();
  state_->noise = explore::detail::noise{*seed + stream, one_in};
  state_->before = explore::detail::current_noise;
  explore::detail::current_noise = &state_->noise;
}

seeded_yields::~seeded_yields() {
  if (!state_)
    return;
  DCA_ASSERT_MSG(explore::detail::current_noise == &state_->noise,
                 "seeded_yields end in the reverse order they began, on their own thread");
  explore::detail::current_noise = state_->before;
}

} // namespace dca::harness
