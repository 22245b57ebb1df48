// hiredis behind redis_connection: replies copied into values, and each command a scheduling point
// of the thread explorer (Redis runs one command at a time and never waits for a lock, so a command
// needs no wait step, unlike a SQL statement). A connection built on a redis_executor has no
// hiredis context: its commands go to the executor, and the judge's side schedules them.
#include "dca/services/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include "dca/assert.hpp"
#include "dca/explore/detail/hooks.hpp"
#include "dca/services/endpoints.hpp"

namespace dca::services {

namespace {

namespace hooks = explore::detail;

/// Every command acts on the one server: for partial-order reduction, all are dependent.
const char redis_server = 0;

redis_reply to_value(const redisReply& r) {
  redis_reply out;
  switch (r.type) {
  case REDIS_REPLY_INTEGER:
    out.type = redis_reply::kind::integer;
    out.integer = r.integer;
    break;
  case REDIS_REPLY_STRING:
  case REDIS_REPLY_STATUS:
  case REDIS_REPLY_ERROR:
    out.type = r.type == REDIS_REPLY_STRING   ? redis_reply::kind::text
               : r.type == REDIS_REPLY_STATUS ? redis_reply::kind::status
                                              : redis_reply::kind::error;
    out.text.assign(r.str, r.len);
    break;
  case REDIS_REPLY_ARRAY:
    out.type = redis_reply::kind::array;
    for (std::size_t i = 0; i < r.elements; ++i)
      out.elements.push_back(to_value(*r.element[i]));
    break;
  default:
    break; // nil
  }
  return out;
}

/// "GET price:1": the command and its key, without the run's prefix (dca_ex06_local_12_0:).
std::string command_label(const std::vector<std::string>& argv) {
  std::string label = argv.empty() ? std::string{"(empty)"} : argv[0];
  if (argv.size() > 1) {
    auto key = argv[1];
    if (auto colon = key.find(':'); key.rfind("dca_", 0) == 0 && colon != std::string::npos)
      key = key.substr(colon + 1);
    label += ' ' + key;
  }
  return label;
}

} // namespace

bool operator==(const redis_reply& x, const redis_reply& y) {
  return x.type == y.type && x.integer == y.integer && x.text == y.text && x.elements == y.elements;
}

std::string to_string(const redis_reply& reply) {
  switch (reply.type) {
  case redis_reply::kind::nil:
    return "nil";
  case redis_reply::kind::integer:
    return std::to_string(reply.integer);
  case redis_reply::kind::array:
    return "[" + std::to_string(reply.elements.size()) + " items]";
  default:
    return reply.text;
  }
}

struct redis_connection::impl {
  redisContext* context = nullptr;
  std::unique_ptr<redis_executor> relay; // set: no server connection, commands go here
  std::string label;                     // the command in flight, as the trace names it
  ~impl() {
    if (context != nullptr)
      redisFree(context);
  }

  redis_reply run(const std::vector<std::string>& argv) {
    std::vector<const char*> words;
    std::vector<std::size_t> lengths;
    for (const auto& a : argv) {
      words.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(words.size()), words.data(), lengths.data()));
    if (raw == nullptr)
      throw unavailable{std::string{"services: the redis connection was lost ("} + context->errstr +
                        "): run scripts/services status"};
    auto out = to_value(*raw);
    freeReplyObject(raw);
    return out;
  }
};

redis_connection::redis_connection(const std::string& socket_path, std::string name,
                                   const std::string& password)
    : impl_(std::make_unique<impl>()), name_(std::move(name)) {
  impl_->context = redisConnectUnix(socket_path.c_str());
  if (impl_->context == nullptr || impl_->context->err != 0)
    throw unavailable{"services: redis does not answer at " + socket_path + " (" +
                      (impl_->context ? impl_->context->errstr : "out of memory") +
                      "): run scripts/services start"};
  if (password.empty())
    return;
  // Before any command of the caller's, and never a scheduling point: connecting is not one.
  auto auth = impl_->run({"AUTH", password});
  if (auth.is_error())
    throw unavailable{"services: redis at " + socket_path + " refused the password (" + auth.text +
                      "): check DCA_REDIS_PASSWORD"};
}

redis_connection::redis_connection(std::unique_ptr<redis_executor> executor, std::string name)
    : impl_(std::make_unique<impl>()), name_(std::move(name)) {
  DCA_ASSERT_MSG(executor != nullptr, "a relayed redis_connection needs an executor");
  impl_->relay = std::move(executor);
}

redis_connection::~redis_connection() = default;
redis_connection::redis_connection(redis_connection&&) noexcept = default;
redis_connection& redis_connection::operator=(redis_connection&&) noexcept = default;

redis_reply redis_connection::command(const std::vector<std::string>& argv,
                                      explore::source_location where) {
  DCA_ASSERT_MSG(impl_ != nullptr, "a moved-from redis_connection");
  DCA_ASSERT_MSG(!argv.empty(), "a Redis command has at least its name");
  if (impl_->relay) // decided at construction: a hiredis connection never takes this branch
    return impl_->relay->command(argv, where);
  auto* self = hooks::current_thread;
  if (self == nullptr)
    return impl_->run(argv);
  impl_->label = command_label(argv);
  hooks::before(*self, hooks::op_kind::statement, &redis_server, impl_->label.c_str(), where);
  auto out = impl_->run(argv);
  hooks::record(*self, to_string(out));
  return out;
}

} // namespace dca::services
