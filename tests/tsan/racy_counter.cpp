// A deliberate data race: two threads increment one plain int64_t. The tsan build must report it;
// if it does not, TSan is not working and a "clean" verdict elsewhere would mean nothing.
#include <cstdint>
#include <iostream>
#include <thread>

namespace {

std::int64_t counter = 0;  // not atomic, no lock: the race under test

void bump(int times) {
  for (int i = 0; i < times; ++i) {
    counter = counter + 1;
  }
}

}  // namespace

int main() {
  constexpr int times = 100000;
  std::thread a{bump, times};
  std::thread b{bump, times};
  a.join();
  b.join();
  std::cout << "counter " << counter << " of " << 2 * times << '\n';
  return 0;
}
