// Shared bits of the dca::es benchmarks: a clock, percentiles, resident memory, temp dirs, and a
// small strict flag parser (--name=value), so each benchmark stays one readable file.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
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

/// A benchmark's --name=value flags, each read once with its default. A value that is not a
/// number in range, or a flag the benchmark does not read, is a one-line error and exit 2; --help
/// lists the flags and their defaults.
class flags {
public:
  flags(int argc, char** argv, std::string program) : program_(std::move(program)) {
    for (int i = 1; i < argc; ++i)
      args_.emplace_back(argv[i]);
  }

  /// --name=N, a whole number >= min; `fallback` when absent.
  long long number(const std::string& name, long long fallback, long long min = 1) {
    auto value = find(name, std::to_string(fallback));
    if (!value)
      return fallback;
    char* end = nullptr;
    errno = 0;
    auto n = std::strtoll(value->c_str(), &end, 10);
    if (value->empty() || *end != '\0' || errno == ERANGE || n < min)
      fail("--" + name + "=" + *value + " is not a whole number >= " + std::to_string(min) +
           " (default: --" + name + "=" + std::to_string(fallback) + ")");
    return n;
  }

  /// --name=TEXT (not empty); `fallback` when absent.
  std::string text(const std::string& name, std::string fallback) {
    auto value = find(name, fallback);
    if (!value)
      return fallback;
    if (value->empty())
      fail("--" + name + "= is empty (default: --" + name + "=" + fallback + ")");
    return *value;
  }

  /// Call after reading every flag: --help, or an argument no flag took, ends the program here.
  void done() {
    for (auto& arg : args_) {
      if (arg == "--help" || arg == "-h") {
        std::printf("%s flags:%s\n", program_.c_str(), known_.c_str());
        std::exit(0);
      }
    }
    for (std::size_t i = 0; i < args_.size(); ++i)
      if (!taken_[i])
        fail("unknown argument " + args_[i] + "; flags:" + known_);
  }

private:
  std::optional<std::string> find(const std::string& name, const std::string& fallback) {
    known_ += " --" + name + "=" + fallback;
    taken_.resize(args_.size(), false);
    auto prefix = "--" + name + "=";
    std::optional<std::string> value;
    for (std::size_t i = 0; i < args_.size(); ++i)
      if (args_[i].rfind(prefix, 0) == 0) {
        value = args_[i].substr(prefix.size());
        taken_[i] = true;
      }
    return value;
  }

  [[noreturn]] void fail(const std::string& what) const {
    std::fprintf(stderr, "%s: %s\n", program_.c_str(), what.c_str());
    std::exit(2);
  }

  std::string program_;
  std::vector<std::string> args_;
  std::vector<bool> taken_;
  std::string known_;
};

/// A fresh directory, removed at exit.
class temp_dir {
public:
  explicit temp_dir(const std::string& base) {
    auto tmpl = (std::filesystem::path{base} / "dca-es-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a scratch directory in %s: %s (pass --dir=DIR)\n",
                   base.c_str(), std::strerror(errno));
      std::exit(2);
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
