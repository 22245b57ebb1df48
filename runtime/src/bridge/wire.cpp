// The bridge's frames: CAF's binary serialiser for the content, a 4-byte length in front, and
// reads that never wait past their deadline nor buffer more than frame_bytes_max.
#include "dca/bridge/wire.hpp"

#include <cerrno>
#include <chrono>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"
#include "caf/sec.hpp"

#include "dca/bridge/exercise_types.hpp"

namespace dca::bridge {

void announce_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<actor_ref>("dca_actor_ref");
  cfg.add_message_type<service_ref>("dca_service_ref");
  cfg.add_message_type<outbound>("dca_outbound");
  cfg.add_message_type<std::vector<outbound>>("dca_outbounds");
  cfg.add_message_type<reply>("dca_reply");
  cfg.add_message_type<std::vector<reply>>("dca_replies");
  cfg.add_message_type<handler_result>("dca_handler_result");
  cfg.add_message_type<std::vector<handler_result>>("dca_handler_results");
  cfg.add_message_type<std::vector<caf::message>>("dca_messages");
  cfg.add_message_type<std::vector<std::uint64_t>>("dca_ids");
  announce_exercise_types(cfg);
  // Values exercises' actors answer with that CAF does not announce itself (11's cart). A type
  // neither side announces crosses as an empty message, so each must be here.
  cfg.add_message_type<std::vector<int>>("dca_ints");
}

namespace {

const std::string* unannounced_in(caf::actor_system& sys, const caf::message& msg);

const std::string* unannounced_in(caf::actor_system& sys, const std::vector<caf::message>& msgs) {
  for (const auto& m : msgs)
    if (const auto* name = unannounced_in(sys, m))
      return name;
  return nullptr;
}

/// The typeid name of the first value in `msg`, or in the messages it carries (nested, in a list,
/// in a handler's results), that `sys` has no name for; null when every one has. CAF 0.17's
/// serialiser writes such a value as nothing and says so only on stderr, with no error: the other
/// side would read an empty message where the value was.
const std::string* unannounced_in(caf::actor_system& sys, const caf::message& msg) {
  static const std::string unnamed = "a type without a typeid name";
  for (std::size_t i = 0; i < msg.size(); ++i) {
    auto rtti = msg.type(i);
    // CAF names a type it does not know "???" (and returns the name by reference: copied at once).
    std::string portable = sys.types().portable_name(rtti);
    if (portable.empty() || portable == "???") {
      thread_local std::string name;
      name = rtti.second != nullptr ? rtti.second->name() : unnamed;
      return &name;
    }
    const std::string* inner = nullptr;
    if (msg.match_element<caf::message>(i))
      inner = unannounced_in(sys, msg.get_as<caf::message>(i));
    else if (msg.match_element<std::vector<caf::message>>(i))
      inner = unannounced_in(sys, msg.get_as<std::vector<caf::message>>(i));
    else if (msg.match_element<std::vector<handler_result>>(i))
      for (const auto& result : msg.get_as<std::vector<handler_result>>(i)) {
        for (const auto& o : result.sent)
          inner = inner != nullptr ? inner : unannounced_in(sys, o.content);
        for (const auto& r : result.replies)
          inner = inner != nullptr ? inner : unannounced_in(sys, r.content);
      }
    if (inner != nullptr)
      return inner;
  }
  return nullptr;
}

} // namespace

caf::error to_bytes(caf::actor_system& sys, const caf::message& msg, std::vector<char>& bytes) {
  bytes.clear();
  if (const auto* name = unannounced_in(sys, msg))
    return caf::make_error(caf::sec::unknown_type, *name);
  caf::binary_serializer sink{sys, bytes};
  auto copy = msg;
  return sink(copy);
}

caf::error from_bytes(caf::actor_system& sys, const std::vector<char>& bytes, caf::message& msg) {
  caf::binary_deserializer source{sys, bytes};
  if (auto err = source(msg))
    return err;
  // Trailing bytes mean the frame is not one message: refuse it rather than guess.
  if (source.remaining() != 0)
    return caf::make_error(caf::sec::invalid_argument);
  return {};
}

bool write_frame(int fd, const std::vector<char>& bytes) {
  auto size = static_cast<std::uint32_t>(bytes.size());
  std::vector<char> frame(4 + bytes.size());
  for (int i = 0; i < 4; ++i)
    frame[static_cast<std::size_t>(i)] = static_cast<char>((size >> (8 * i)) & 0xff);
  std::copy(bytes.begin(), bytes.end(), frame.begin() + 4);
  std::size_t done = 0;
  while (done < frame.size()) {
    // MSG_NOSIGNAL: a subject that died must not kill the judge with SIGPIPE.
    auto n = send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

using clock = std::chrono::steady_clock;

/// Reads exactly `size` bytes into `out` before `deadline`; the status when it cannot.
frame_status read_exactly(int fd, char* out, std::size_t size, int timeout_ms,
                          clock::time_point deadline) {
  std::size_t done = 0;
  while (done < size) {
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0)
        return frame_status::timed_out;
      wait_ms = static_cast<int>(left.count());
    }
    pollfd p{fd, POLLIN, 0};
    auto ready = poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0)
      return frame_status::timed_out;
    auto n = read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return done == 0 ? frame_status::closed : frame_status::broken;
    done += static_cast<std::size_t>(n);
  }
  return frame_status::ok;
}

} // namespace

frame_status read_frame(int fd, int timeout_ms, std::vector<char>& bytes, std::size_t bytes_max) {
  auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  unsigned char header[4];
  auto got = read_exactly(fd, reinterpret_cast<char*>(header), 4, timeout_ms, deadline);
  if (got != frame_status::ok)
    return got;
  std::uint32_t size = 0;
  for (int i = 3; i >= 0; --i)
    size = (size << 8) | header[i];
  if (size > bytes_max)
    return frame_status::oversized;
  bytes.resize(size);
  got = read_exactly(fd, bytes.data(), size, timeout_ms, deadline);
  return got == frame_status::closed ? frame_status::broken : got;
}

} // namespace dca::bridge
