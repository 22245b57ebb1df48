// The bytes of a relayed Redis command and reply (see redis_encoding.hpp). A reader that checks
// every length against what is left, so hostile bytes end as one line, never as a huge
// allocation, a deep recursion or a read past the end.
#include "dca/services/redis_encoding.hpp"

#include <limits>
#include <stdexcept>

namespace dca::services {

namespace {

// The kind byte of each reply kind: fixed here, whatever order the enum has.
enum class kind_byte : std::uint8_t {
  nil = 0,
  integer = 1,
  text = 2,
  status = 3,
  array = 4,
  error = 5
};

void put_u32(std::vector<char>& out, std::size_t n) {
  if (n > std::numeric_limits<std::uint32_t>::max())
    throw std::length_error{"a Redis string or array over 4 GiB does not encode"};
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
}

void put_u64(std::vector<char>& out, std::uint64_t n) {
  for (int shift = 0; shift < 64; shift += 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
}

void put_string(std::vector<char>& out, const std::string& s) {
  put_u32(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

kind_byte byte_of(redis_reply::kind k) {
  switch (k) {
  case redis_reply::kind::integer:
    return kind_byte::integer;
  case redis_reply::kind::text:
    return kind_byte::text;
  case redis_reply::kind::status:
    return kind_byte::status;
  case redis_reply::kind::array:
    return kind_byte::array;
  case redis_reply::kind::error:
    return kind_byte::error;
  default:
    return kind_byte::nil;
  }
}

void put_reply(std::vector<char>& out, const redis_reply& r, std::size_t depth) {
  if (depth > redis_reply_depth_max)
    throw std::length_error{"a Redis reply nested deeper than " +
                            std::to_string(redis_reply_depth_max) + " does not encode"};
  auto k = byte_of(r.type);
  out.push_back(static_cast<char>(k));
  if (k == kind_byte::integer)
    put_u64(out, static_cast<std::uint64_t>(r.integer));
  else if (k == kind_byte::array) {
    put_u32(out, r.elements.size());
    for (const auto& e : r.elements)
      put_reply(out, e, depth + 1);
  } else if (k != kind_byte::nil)
    put_string(out, r.text);
}

/// Reads what the writers above wrote; the first failure is kept in `why` and stops everything.
class reader {
public:
  explicit reader(const std::vector<char>& bytes) : bytes_(bytes) {}

  bool failed() const noexcept { return !why_.empty(); }
  std::optional<std::string> result() const {
    if (failed())
      return why_;
    if (at_ != bytes_.size())
      return std::to_string(bytes_.size() - at_) + " bytes left over after the value";
    return std::nullopt;
  }
  void fail(std::string why) {
    if (!failed())
      why_ = std::move(why);
  }
  std::size_t left() const noexcept { return bytes_.size() - at_; }

  std::uint64_t fixed(int width) {
    if (failed() || left() < static_cast<std::size_t>(width)) {
      fail("the bytes end inside a number");
      return 0;
    }
    std::uint64_t n = 0;
    for (int k = 0; k < width; ++k)
      n |= std::uint64_t{static_cast<unsigned char>(bytes_[at_++])} << (8 * k);
    return n;
  }

  /// A count of things each at least `min_bytes` long: refused when the bytes left cannot hold it.
  std::size_t count(std::size_t min_bytes) {
    auto n = static_cast<std::size_t>(fixed(4));
    if (!failed() && n > left() / min_bytes)
      fail("a length of " + std::to_string(n) + " with only " + std::to_string(left()) +
           " bytes left");
    return failed() ? 0 : n;
  }

  std::string string() {
    auto n = count(1);
    auto from = bytes_.begin() + static_cast<std::ptrdiff_t>(at_);
    at_ += n;
    return std::string{from, from + static_cast<std::ptrdiff_t>(n)};
  }

  redis_reply reply(std::size_t depth);

private:
  const std::vector<char>& bytes_;
  std::size_t at_ = 0;
  std::string why_;
};

redis_reply reader::reply(std::size_t depth) {
  redis_reply out;
  if (depth > redis_reply_depth_max) {
    fail("a reply nested deeper than " + std::to_string(redis_reply_depth_max));
    return out;
  }
  auto k = static_cast<kind_byte>(fixed(1));
  switch (k) {
  case kind_byte::nil:
    break;
  case kind_byte::integer:
    out.type = redis_reply::kind::integer;
    out.integer = static_cast<std::int64_t>(fixed(8));
    break;
  case kind_byte::array:
    out.type = redis_reply::kind::array;
    for (auto n = count(1); n > 0 && !failed(); --n)
      out.elements.push_back(reply(depth + 1));
    break;
  case kind_byte::text:
  case kind_byte::status:
  case kind_byte::error:
    out.type = k == kind_byte::text     ? redis_reply::kind::text
               : k == kind_byte::status ? redis_reply::kind::status
                                        : redis_reply::kind::error;
    out.text = string();
    break;
  default:
    fail("a reply of unknown kind " + std::to_string(static_cast<int>(k)));
  }
  return out;
}

} // namespace

std::vector<char> encode(const redis_command& command) {
  std::vector<char> out;
  put_string(out, command.connection);
  put_u32(out, command.argv.size());
  for (const auto& word : command.argv)
    put_string(out, word);
  put_string(out, command.file);
  put_u32(out, static_cast<std::uint32_t>(command.line));
  return out;
}

std::vector<char> encode(const redis_reply& reply) {
  std::vector<char> out;
  put_reply(out, reply, 1);
  return out;
}

std::optional<std::string> decode(const std::vector<char>& bytes, redis_command& out) {
  reader in{bytes};
  out.connection = in.string();
  out.argv.clear();
  for (auto n = in.count(4); n > 0 && !in.failed(); --n) // each word is at least its length
    out.argv.push_back(in.string());
  out.file = in.string();
  out.line = static_cast<std::int32_t>(static_cast<std::uint32_t>(in.fixed(4)));
  if (!in.failed() && out.argv.empty())
    in.fail("a command without words");
  if (auto why = in.result())
    return "a Redis command that does not decode: " + *why;
  return std::nullopt;
}

std::optional<std::string> decode(const std::vector<char>& bytes, redis_reply& out) {
  reader in{bytes};
  out = in.reply(1);
  if (auto why = in.result())
    return "a Redis reply that does not decode: " + *why;
  return std::nullopt;
}

} // namespace dca::services
