// The bytes a relayed Redis command and reply cross as (dca/services/redis_encoding.hpp): every
// value comes back as it went, whatever bytes its strings hold, and bytes that are not exactly one
// value are refused with one line, never read past their end or followed into a deep nesting.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "dca/services/redis_encoding.hpp"

namespace {

using dca::services::decode;
using dca::services::encode;
using dca::services::redis_command;
using dca::services::redis_reply;
using kind = redis_reply::kind;

redis_reply text(kind k, std::string s) {
  redis_reply r;
  r.type = k;
  r.text = std::move(s);
  return r;
}

redis_reply integer(std::int64_t n) {
  redis_reply r;
  r.type = kind::integer;
  r.integer = n;
  return r;
}

redis_reply array(std::vector<redis_reply> elements) {
  redis_reply r;
  r.type = kind::array;
  r.elements = std::move(elements);
  return r;
}

/// Every byte value once, with the protocol's own separators among them.
std::string every_byte() {
  std::string s;
  for (int b = 0; b < 256; ++b)
    s += static_cast<char>(b);
  return s + "\r\n$-1\r\n";
}

redis_reply round_trip(const redis_reply& r) {
  redis_reply back;
  auto why = decode(encode(r), back);
  INFO(why.value_or(""));
  REQUIRE_FALSE(why.has_value());
  return back;
}

/// A reply `depth` levels deep: arrays around one integer.
redis_reply nested(std::size_t depth) {
  auto r = integer(7);
  for (std::size_t k = 1; k < depth; ++k)
    r = array({r});
  return r;
}

} // namespace

TEST_CASE("a reply of every kind comes back as it went, binary strings and nil elements too") {
  // XRANGE's shape: [[id, [field, value, ...]], ...], with a nil and an error among them.
  auto entry = array({text(kind::text, "1-0"),
                      array({text(kind::text, "position"), text(kind::text, every_byte())})});
  auto r = array({entry, redis_reply{}, text(kind::error, "NOAUTH Authentication required."),
                  text(kind::status, "OK"), integer(-9'223'372'036'854'775'807 - 1), integer(42),
                  array({}), text(kind::text, "")});
  auto back = round_trip(r);
  CHECK(back == r);
  CHECK(back.elements.at(1).is_nil());
  CHECK(back.elements.at(0).elements.at(1).elements.at(1).text == every_byte());
  CHECK(back.elements.at(4).integer == -9'223'372'036'854'775'807 - 1);
  CHECK(back.elements.at(7).type == kind::text); // an empty string is not nil
  CHECK(round_trip(redis_reply{}).is_nil());
}

TEST_CASE("a command comes back with its connection, words and the learner's line") {
  redis_command c{"cache projection",
                  {"EVAL", "return redis.call('GET', KEYS[1])", "1", every_byte(), ""},
                  "solutions/06_cache_aside/message_passing.cpp",
                  44};
  redis_command back;
  REQUIRE_FALSE(decode(encode(c), back).has_value());
  CHECK(back.connection == c.connection);
  CHECK(back.argv == c.argv);
  CHECK(back.file == c.file);
  CHECK(back.line == 44);
}

TEST_CASE("bytes cut short anywhere, or with bytes over, are refused with one line") {
  auto r = array({text(kind::text, "cents"), integer(120), redis_reply{}});
  auto bytes = encode(r);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    redis_reply back;
    auto why = decode(std::vector<char>(bytes.begin(), bytes.begin() + cut), back);
    REQUIRE(why.has_value());
    CHECK(why->find('\n') == std::string::npos);
  }
  bytes.push_back('x');
  redis_reply back;
  CHECK(decode(bytes, back) == "a Redis reply that does not decode: 1 bytes left over after the "
                               "value");
}

TEST_CASE("a length larger than the bytes left is refused before anything is allocated") {
  // An array claiming 4 G elements, and a string claiming 4 GiB, in 5 bytes each.
  redis_reply back;
  auto why = decode(std::vector<char>{4, '\xff', '\xff', '\xff', '\xff'}, back);
  REQUIRE(why.has_value());
  CHECK(why->find("a length of 4294967295 with only 0 bytes left") != std::string::npos);
  CHECK(decode(std::vector<char>{2, '\xff', '\xff', '\xff', '\xff'}, back).has_value());
  redis_command command;
  CHECK(decode(std::vector<char>{0, 0, 0, 0, '\xff', '\xff', '\xff', '\x7f'}, command)
            ->find("a length of 2147483647") != std::string::npos);
}

TEST_CASE("an unknown kind and a command without words are refused") {
  redis_reply back;
  CHECK(decode(std::vector<char>{9}, back) ==
        "a Redis reply that does not decode: a reply of unknown kind 9");
  redis_command empty{"reader", {}, "f.cpp", 1};
  redis_command command;
  CHECK(decode(encode(empty), command) ==
        "a Redis command that does not decode: a command without words");
}

TEST_CASE("nesting is bounded the same way on both sides") {
  auto deepest = nested(dca::services::redis_reply_depth_max);
  CHECK(round_trip(deepest) == deepest);
  auto deeper = nested(dca::services::redis_reply_depth_max + 1);
  CHECK_THROWS_AS(encode(deeper), std::length_error);
  // The same nesting written by hand, as a hostile sender would: 33 one-element arrays.
  std::vector<char> bytes;
  for (std::size_t k = 0; k < dca::services::redis_reply_depth_max; ++k)
    bytes.insert(bytes.end(), {4, 1, 0, 0, 0});
  bytes.insert(bytes.end(), {1, 7, 0, 0, 0, 0, 0, 0, 0});
  redis_reply back;
  auto why = decode(bytes, back);
  REQUIRE(why.has_value());
  CHECK(why->find("nested deeper than 32") != std::string::npos);
}

TEST_CASE("random bytes never decode into more than they hold (seed 20261207)") {
  std::mt19937 random{20261207};
  std::uniform_int_distribution<int> byte{0, 255};
  std::uniform_int_distribution<std::size_t> length{0, 64};
  int decoded = 0;
  for (int k = 0; k < 20'000; ++k) {
    std::vector<char> bytes(length(random));
    for (auto& b : bytes)
      b = static_cast<char>(byte(random) % 7 == 0 ? byte(random) : byte(random) % 6);
    redis_reply back;
    if (!decode(bytes, back)) {
      ++decoded; // whatever decoded encodes to exactly the bytes it came from
      CHECK(encode(back) == bytes);
    }
  }
  MESSAGE(decoded << " of 20,000 random byte strings were replies");
  CHECK(decoded > 0);
}
