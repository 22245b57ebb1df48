// The etcd client over the v3 JSON gateway: one libcurl handle, base64 keys and values (the
// gateway's encoding of protobuf bytes), 64-bit numbers read from the strings the gateway writes.
#include "dca/services/etcd_client.hpp"

#include <algorithm>
#include <mutex>

#include <caf/make_message.hpp>
#include <curl/curl.h>

#include "dca/assert.hpp"
#include "dca/json.hpp"

namespace dca::services {

namespace {

/// How long a member may take to say whether it has a leader, after a request timed out.
constexpr long status_probe_timeout_ms = 500;

caf::error make_etcd_error(etcd_errc code, const std::string& detail) {
  return caf::error{static_cast<std::uint8_t>(code), etcd_error_category,
                    caf::make_message(std::string{to_string(code)} + ": " + detail)};
}

constexpr const char* base64_digits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const std::string& bytes) {
  std::string out;
  std::uint32_t bits = 0;
  int held = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    held += 8;
    while (held >= 6) {
      held -= 6;
      out += base64_digits[(bits >> held) & 0x3f];
    }
  }
  if (held > 0)
    out += base64_digits[(bits << (6 - held)) & 0x3f];
  while (out.size() % 4 != 0)
    out += '=';
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out;
  std::uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    const char* at = std::char_traits<char>::find(base64_digits, 64, c);
    if (at == nullptr)
      continue; // '=' padding
    bits = (bits << 6) | static_cast<std::uint32_t>(at - base64_digits);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out += static_cast<char>((bits >> held) & 0xff);
    }
  }
  return out;
}

/// A 64-bit member: the gateway writes int64 as a JSON string ("revision":"7"); absent is 0.
std::int64_t int64_at(const json_value& v, const std::string& key) {
  const auto* member = v.find(key);
  if (member == nullptr || member->text.empty())
    return 0;
  try {
    return std::stoll(member->text);
  } catch (const std::exception&) {
    return 0;
  }
}

std::int64_t header_revision(const json_value& v) {
  const auto* header = v.find("header");
  return header == nullptr ? 0 : int64_at(*header, "revision");
}

etcd_kv kv_from(const json_value& v) {
  return etcd_kv{unbase64(v.string_at("key")),   unbase64(v.string_at("value")),
                 int64_at(v, "create_revision"), int64_at(v, "mod_revision"),
                 int64_at(v, "version"),         int64_at(v, "lease")};
}

std::string quoted_int(std::int64_t x) {
  return '"' + std::to_string(x) + '"';
}

/// The end of the range of keys that start with `prefix`: its last byte below 0xff plus one.
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff)
    prefix.pop_back();
  if (prefix.empty())
    return std::string(1, '\0'); // every key
  prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string host_of(const std::string& endpoint) {
  auto scheme = endpoint.find("://");
  return scheme == std::string::npos ? endpoint : endpoint.substr(scheme + 3);
}

} // namespace

const char* to_string(etcd_errc x) noexcept {
  switch (x) {
  case etcd_errc::unreachable:
    return "unreachable";
  case etcd_errc::no_quorum:
    return "no_quorum";
  case etcd_errc::timed_out:
    return "timed_out";
  case etcd_errc::refused:
    return "refused";
  }
  return "unknown";
}

bool is(const caf::error& err, etcd_errc code) noexcept {
  return err.category() == etcd_error_category && err.code() == static_cast<std::uint8_t>(code);
}

std::string etcd_message(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.context().size() == 1 && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

// -- the connection ----------------------------------------------------------------------------

struct etcd_client::impl {
  std::vector<std::string> endpoints;
  std::chrono::milliseconds request_timeout;
  std::size_t current = 0; // the member that answered last
  CURL* curl = nullptr;

  impl(std::vector<std::string> members, std::chrono::milliseconds timeout)
      : endpoints(std::move(members)), request_timeout(timeout) {
    DCA_ASSERT_MSG(!endpoints.empty(), "an etcd client needs at least one member's endpoint");
    static std::once_flag curl_ready;
    std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl = curl_easy_init();
  }

  ~impl() {
    if (curl != nullptr)
      curl_easy_cleanup(curl);
  }

  /// One POST to one member: libcurl's code, and the body.
  CURLcode post_to(const std::string& endpoint, const std::string& path, const std::string& body,
                   long timeout_ms, std::string& answer) {
    answer.clear();
    auto url = endpoint + path;
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); // a timeout must not raise SIGALRM in our process
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    return curl_easy_perform(curl);
  }

  /// After a request timed out at `endpoint`: does that member know of no leader? A member cut
  /// off from the others says so in its status ("etcdserver: no leader") without a quorum.
  bool has_no_leader(const std::string& endpoint) {
    std::string answer, error;
    if (post_to(endpoint, "/v3/maintenance/status", "{}", status_probe_timeout_ms, answer) !=
        CURLE_OK)
      return false;
    auto status = parse_json(answer, error);
    return status && int64_at(*status, "leader") == 0;
  }

  caf::expected<json_value> answer_of(const std::string& endpoint, const std::string& answer) {
    std::string error;
    auto doc = parse_json(answer, error);
    if (!doc)
      return make_etcd_error(etcd_errc::refused, "etcd at " + host_of(endpoint) +
                                                     " answered what is not JSON: " + error);
    if (doc->find("error") == nullptr)
      return std::move(*doc);
    auto message = doc->string_at("error");
    // gRPC's UNAVAILABLE (14): the member could not get the request committed.
    auto code = int64_at(*doc, "code") == 14 ? etcd_errc::no_quorum : etcd_errc::refused;
    return make_etcd_error(code, "etcd at " + host_of(endpoint) + " answered: " + message);
  }

  /// The member is not there: it refused the connection, or a member being killed reset one its
  /// kernel had still accepted, before any answer. Every request of this client may be repeated
  /// at the next member (a swap recognises its own lease: etcd_lease_table), so it is.
  static bool member_gone(CURLcode code) {
    return code == CURLE_COULDNT_CONNECT || code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR ||
           code == CURLE_GOT_NOTHING;
  }

  /// POSTs `body` to the member that answered last, or to the next while a member is gone.
  caf::expected<json_value> post(const std::string& path, const std::string& body) {
    std::string answer;
    for (std::size_t tried = 0; tried < endpoints.size(); ++tried) {
      const auto& endpoint = endpoints[current];
      auto code = post_to(endpoint, path, body, static_cast<long>(request_timeout.count()), answer);
      if (code == CURLE_OK)
        return answer_of(endpoint, answer);
      if (code == CURLE_OPERATION_TIMEDOUT) {
        auto why = has_no_leader(endpoint) ? etcd_errc::no_quorum : etcd_errc::timed_out;
        return make_etcd_error(why, "etcd at " + host_of(endpoint) + " did not answer " + path +
                                        " within " + std::to_string(request_timeout.count()) +
                                        " ms" +
                                        (why == etcd_errc::no_quorum ? " (it has no leader)" : ""));
      }
      if (!member_gone(code))
        return make_etcd_error(etcd_errc::unreachable,
                               "etcd at " + host_of(endpoint) + ": " + curl_easy_strerror(code));
      current = (current + 1) % endpoints.size();
    }
    std::string all;
    for (const auto& e : endpoints)
      all += (all.empty() ? "" : ", ") + host_of(e);
    return make_etcd_error(etcd_errc::unreachable, "no etcd member accepts a connection at " + all +
                                                       ": run scripts/services start --only etcd");
  }
};

// -- the requests ------------------------------------------------------------------------------

etcd_client::etcd_client(std::vector<std::string> endpoints,
                         std::chrono::milliseconds request_timeout)
    : impl_(std::make_unique<impl>(std::move(endpoints), request_timeout)) {}

etcd_client::~etcd_client() = default;
etcd_client::etcd_client(etcd_client&&) noexcept = default;
etcd_client& etcd_client::operator=(etcd_client&&) noexcept = default;

const std::vector<std::string>& etcd_client::endpoints() const noexcept {
  return impl_->endpoints;
}

caf::expected<etcd_lease> etcd_client::grant(std::chrono::seconds ttl) {
  auto done = impl_->post("/v3/lease/grant", "{\"TTL\":" + quoted_int(ttl.count()) + "}");
  if (!done)
    return done.error();
  return etcd_lease{int64_at(*done, "ID"), int64_at(*done, "TTL")};
}

caf::expected<std::int64_t> etcd_client::keep_alive(std::int64_t lease_id) {
  auto done = impl_->post("/v3/lease/keepalive", "{\"ID\":" + quoted_int(lease_id) + "}");
  if (!done)
    return done.error();
  const auto* result = done->find("result");
  return result == nullptr ? 0 : int64_at(*result, "TTL");
}

caf::expected<std::int64_t> etcd_client::time_to_live(std::int64_t lease_id) {
  auto done = impl_->post("/v3/lease/timetolive", "{\"ID\":" + quoted_int(lease_id) + "}");
  if (!done)
    return done.error();
  return std::max<std::int64_t>(0, int64_at(*done, "TTL")); // a lapsed lease answers TTL -1
}

caf::error etcd_client::revoke(std::int64_t lease_id) {
  auto done = impl_->post("/v3/lease/revoke", "{\"ID\":" + quoted_int(lease_id) + "}");
  return done ? caf::error{} : done.error();
}

caf::expected<std::int64_t> etcd_client::put(const std::string& key, const std::string& value,
                                             std::int64_t lease_id) {
  auto done =
      impl_->post("/v3/kv/put", "{\"key\":\"" + base64(key) + "\",\"value\":\"" + base64(value) +
                                    "\",\"lease\":" + quoted_int(lease_id) + "}");
  if (!done)
    return done.error();
  return header_revision(*done);
}

caf::expected<etcd_range> etcd_client::range(const std::string& key) {
  auto done = impl_->post("/v3/kv/range", "{\"key\":\"" + base64(key) + "\"}");
  if (!done)
    return done.error();
  etcd_range out{header_revision(*done), std::nullopt};
  const auto* kvs = done->find("kvs");
  if (kvs != nullptr && !kvs->items.empty())
    out.kv = kv_from(kvs->items.front());
  return out;
}

caf::expected<std::vector<etcd_kv>> etcd_client::range_prefix(const std::string& prefix) {
  auto done = impl_->post("/v3/kv/range", "{\"key\":\"" + base64(prefix) + "\",\"range_end\":\"" +
                                              base64(prefix_end(prefix)) + "\"}");
  if (!done)
    return done.error();
  std::vector<etcd_kv> out;
  if (const auto* kvs = done->find("kvs"))
    for (const auto& kv : kvs->items)
      out.push_back(kv_from(kv));
  return out;
}

caf::expected<etcd_txn> etcd_client::put_if_mod_revision(const std::string& key,
                                                         const std::string& value,
                                                         std::int64_t lease_id,
                                                         std::int64_t expected_mod_revision) {
  auto k = base64(key);
  auto body = "{\"compare\":[{\"target\":\"MOD\",\"result\":\"EQUAL\",\"key\":\"" + k +
              "\",\"mod_revision\":" + quoted_int(expected_mod_revision) +
              "}],\"success\":[{\"request_put\":{\"key\":\"" + k + "\",\"value\":\"" +
              base64(value) + "\",\"lease\":" + quoted_int(lease_id) + "}}]}";
  auto done = impl_->post("/v3/kv/txn", body);
  if (!done)
    return done.error();
  return etcd_txn{done->boolean_at("succeeded"), header_revision(*done)};
}

caf::expected<std::int64_t> etcd_client::remove_prefix(const std::string& prefix) {
  auto done =
      impl_->post("/v3/kv/deleterange", "{\"key\":\"" + base64(prefix) + "\",\"range_end\":\"" +
                                            base64(prefix_end(prefix)) + "\"}");
  if (!done)
    return done.error();
  return int64_at(*done, "deleted");
}

} // namespace dca::services
