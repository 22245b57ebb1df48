// Shared bits of the dca::es benchmarks: a clock, percentiles, resident memory, temp dirs, and a
// tiny flag parser (--name=value), so each benchmark stays one readable file.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dca::es::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

inline double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(xs.size() - 1));
  return xs[i];
}

/// Resident set size in bytes (from /proc/self/statm).
inline std::size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  std::size_t pages = 0;
  std::size_t resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// --name=value from argv, or `fallback`.
inline long long flag(int argc, char** argv, const std::string& name, long long fallback) {
  auto prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind(prefix, 0) == 0)
      return std::atoll(arg.c_str() + prefix.size());
    if (arg == "--help") {
      std::printf("flags: --name=value (see the top of the source for names and defaults)\n");
      std::exit(0);
    }
  }
  return fallback;
}

inline std::string flag_str(int argc, char** argv, const std::string& name, std::string fallback) {
  auto prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind(prefix, 0) == 0)
      return arg.substr(prefix.size());
  }
  return fallback;
}

/// A fresh directory, removed at exit.
class temp_dir {
public:
  explicit temp_dir(const std::string& base) {
    auto tmpl = (std::filesystem::path{base} / "dca-es-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

/// Prints "label  value unit  (baseline: ... ; ratio)".
inline void row(const char* label, double value, const char* unit, const char* baseline_label,
                double baseline, const char* ratio_note) {
  std::printf("%-44s %12.0f %-8s | %-36s %12.0f %-8s | %5.2fx %s\n", label, value, unit,
              baseline_label, baseline, unit, baseline > 0 ? value / baseline : 0.0, ratio_note);
}

} // namespace dca::es::bench
