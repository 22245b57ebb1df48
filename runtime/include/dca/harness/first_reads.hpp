// dca::harness::first_reads: the words that open a verdict when two explored workers read the same
// row before either wrote it ("T1 and T2 both read stock=1: "), found in the schedule's trace. The
// exercises whose stateless workers race over PostgreSQL (05, 13) start their verdicts with it.
// Header-only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dca/explore/report.hpp"

namespace dca::harness {

/// "T1 and T2 both read <value>: " when the first `operation` step (e.g. "SELECT items") of each of
/// the two workers in `trace` read the same value; "" when one never read or they read different
/// values.
inline std::string first_reads(const std::vector<dca::explore::step>& trace,
                               const std::string& operation) {
  std::map<int, std::string> seen;
  for (const auto& s : trace)
    if (s.operation == operation && !seen.count(s.actor))
      seen[s.actor] = s.value;
  return seen.size() == 2 && seen[0] == seen[1] ? "T1 and T2 both read " + seen[0] + ": " : "";
}

} // namespace dca::harness
