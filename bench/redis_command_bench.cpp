// The cost of one Redis command through the executor seam (dca::services::redis_executor, as a
// judged subject's relayed connection sends it), against the same command on a real connection,
// in the same run. The seam's executor here is a loopback: it calls a real connection of its own,
// so seam minus real is what the seam adds (a virtual call, the argv passed on). A third path also
// encodes the command and decodes it, and encodes the reply and decodes it
// (dca/services/redis_encoding.hpp), as the relay will around its socket round trip: that adds the
// bytes' cost, not the round trip's. Two commands: GET of a short value, and XRANGE of a 10-entry
// stream (a nested reply, as 07's shipping reads). Rounds alternate the paths; prints the median
// and min-max of --rounds, in microseconds per command. Needs the servers (scripts/services start).
// bench_redis_command [--commands N] [--rounds R]
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dca/services/redis_encoding.hpp"
#include "dca/services/scratch.hpp"

namespace po = boost::program_options;

namespace {

using dca::services::redis_connection;
using dca::services::redis_reply;

/// The seam with nothing behind it but a real connection; `encoded` also takes the command and
/// the reply through their bytes, both ways.
class loopback final : public dca::services::redis_executor {
public:
  loopback(redis_connection target, bool encoded) : target_(std::move(target)), encoded_(encoded) {}

  redis_reply command(const std::vector<std::string>& argv,
                      dca::explore::source_location where) override {
    if (!encoded_)
      return target_.command(argv, where);
    dca::services::redis_command sent{target_.name(), argv, where.file, where.line};
    dca::services::redis_command got;
    if (auto why = decode(encode(sent), got))
      throw std::runtime_error{*why};
    auto reply = target_.command(got.argv, where);
    redis_reply back;
    if (auto why = decode(encode(reply), back))
      throw std::runtime_error{*why};
    return back;
  }

private:
  redis_connection target_;
  bool encoded_;
};

/// Microseconds per command for `commands` runs of `one`, whose reply `expect` checks, so a path
/// that answered nothing cannot look fast.
double per_command_us(int commands, const std::function<redis_reply()>& one,
                      const std::function<bool(const redis_reply&)>& expect) {
  auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < commands; ++k)
    if (!expect(one()))
      throw std::runtime_error{"a command answered something else"};
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  return took.count() / commands;
}

double median(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

void print(const std::string& what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  std::cout << "  " << std::left << std::setw(40) << what << std::right << std::fixed
            << std::setprecision(2) << std::setw(8) << median(us) << " us  (" << us.front() << "-"
            << us.back() << ")\n";
}

/// One command's three paths, `rounds` times each, interleaved; prints them.
void compare(const std::string& title, const std::vector<std::string>& argv,
             const std::function<bool(const redis_reply&)>& expect,
             std::vector<redis_connection*> paths, int commands, int rounds) {
  std::vector<std::vector<double>> us(paths.size());
  for (int r = 0; r < rounds; ++r)
    for (std::size_t p = 0; p < paths.size(); ++p)
      us[p].push_back(per_command_us(
          commands, [&] { return paths[p]->command(argv); }, expect));
  std::cout << title << ", median (min-max) per command:\n";
  print("real connection (hiredis)", us[0]);
  print("executor seam (loopback to a real one)", us[1]);
  print("seam + command and reply as bytes", us[2]);
  std::cout << "  seam - real: " << std::setprecision(2) << median(us[1]) - median(us[0])
            << " us; bytes - seam: " << median(us[2]) - median(us[1]) << " us\n";
}

} // namespace

int main(int argc, char** argv) {
  int commands = 5'000;
  int rounds = 5;
  po::options_description desc{"bench_redis_command"};
  desc.add_options()("commands", po::value(&commands), "commands per round and path")(
      "rounds", po::value(&rounds), "rounds, each path once per round");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  dca::services::scratch space{"benchredis"};
  auto real = space.connect_redis("real");
  redis_connection seam{std::make_unique<loopback>(space.connect_redis("seam"), false), "seam"};
  redis_connection bytes{std::make_unique<loopback>(space.connect_redis("bytes"), true), "bytes"};
  real.command({"SET", space.key("price:1"), "120"});
  for (int k = 0; k < 10; ++k)
    real.command({"XADD", space.key("orders"), "*", "position", std::to_string(k), "order_id",
                  "order-" + std::to_string(k), "cents", "2500"});
  std::cout << commands << " commands x " << rounds << " rounds per path\n";
  compare(
      "GET (a 3-byte value)", {"GET", space.key("price:1")},
      [](const redis_reply& r) { return r.text == "120"; }, {&real, &seam, &bytes}, commands,
      rounds);
  compare(
      "XRANGE - + (10 entries of 3 fields)", {"XRANGE", space.key("orders"), "-", "+"},
      [](const redis_reply& r) { return r.elements.size() == 10; }, {&real, &seam, &bytes},
      commands, rounds);
}
