// The judge's end of the bridge: starts the subject with nothing of the judge's (no environment,
// no descriptor but its socket, its output discarded), exchanges one frame per request within a
// deadline, and turns every way a subject can misbehave into one verdict line.
#include "subject_link.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caf/actor_cast.hpp"
#include "caf/actor_system_config.hpp"

#include "dca/assert.hpp"
#include "dca/bridge/stand_in.hpp"

namespace dca::bridge {

namespace {

struct link_config : caf::actor_system_config {
  link_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    announce_types(*this);
  }
};

/// The subject's exit in words: a signal, or a status it chose.
std::string exit_words(int status) {
  if (WIFSIGNALED(status))
    return "crashed with signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status))
    return "exited with status " + std::to_string(WEXITSTATUS(status)) + " (did it call exit?)";
  return "stopped";
}

/// In the forked child, before exec: only async-signal-safe calls. The subject gets its socket as
/// descriptor 3, /dev/null for the rest, and an empty environment.
[[noreturn]] void exec_subject(const char* path, int socket_fd, int fds_max) {
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd < 0 || dup2(socket_fd, 3) < 0)
    _exit(127);
  for (int fd = 0; fd <= 2; ++fd)
    dup2(null_fd, fd);
  for (int fd = 4; fd < fds_max; ++fd)
    close(fd);
  char serve[] = "--serve-fd";
  char three[] = "3";
  char* argv[] = {const_cast<char*>(path), serve, three, nullptr};
  char* envp[] = {nullptr};
  execve(path, argv, envp);
  _exit(127);
}

/// The kinds of judge service the bridge offers (judge_services.hpp), which its lines may name.
const std::string service_kinds[] = {"statement", "journal", "run space"};

} // namespace

subject_link& subject_link::instance() {
  static subject_link link;
  return link;
}

subject_link::subject_link()
    : cfg_(std::make_unique<link_config>()), sys_(std::make_unique<caf::actor_system>(*cfg_)) {
  const char* path = std::getenv("DCA_SUBJECT");
  path_ = path != nullptr ? path : "";
  if (const char* t = std::getenv("DCA_SUBJECT_TIMEOUT_MS"); t != nullptr && std::atoi(t) > 0)
    timeout_ms_ = std::atoi(t);
}

subject_link::~subject_link() {
  if (fd_ >= 0)
    close(fd_); // the subject reads the end of its input and exits
  // The link lives until the process exits. Its actor system, torn down among the static
  // destructors, read memory its own teardown had just freed when it was the process's only CAF
  // system (valgrind: a judged spec case of 12 that spawns no actor, "free(): corrupted unsorted
  // chunks"). The process is ending: the system is left to it, not destroyed.
  static_cast<void>(sys_.release());
  static_cast<void>(cfg_.release());
}

void subject_link::start() {
  if (path_.empty()) {
    std::fprintf(stderr, "dca judge: DCA_SUBJECT is not set: name the subject program (the "
                         "learner's actors, built by `dca grade`) in it\n");
    std::_Exit(2);
  }
  // Same user, different trust: the subject must not read this process's memory, environment or
  // descriptors through /proc, nor trace it. A process that is not dumpable refuses all of that
  // to anyone without CAP_SYS_PTRACE.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    subject_failed("fail", std::string{"cannot make the subject's socket: "} + strerror(errno));
  auto fds_max = static_cast<int>(std::min(sysconf(_SC_OPEN_MAX), 65536L));
  auto pid = fork();
  if (pid == 0)
    exec_subject(path_.c_str(), pair[1], fds_max); // dup2 clears close-on-exec on descriptor 3
  close(pair[1]);
  if (pid < 0)
    subject_failed("fail", std::string{"cannot start the subject: "} + strerror(errno));
  fd_ = pair[0];
  pid_ = static_cast<int>(pid);
}

void subject_link::clock_reads(caf::actor_clock::time_point now) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  now_ = now;
}

std::uint64_t subject_link::reserve() {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  return next_id_++;
}

void subject_link::enroll(std::uint64_t id, const caf::actor_addr& stand_in) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  stand_ins_.emplace(id, stand_in);
}

void subject_link::forget_later(std::uint64_t id) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  stand_ins_.erase(id);
  forgotten_.push_back(id);
  // Its unanswered requests go with it: a promise holds its requester and the stand-in.
  for (auto i = promises_.begin(); i != promises_.end();)
    i = i->second.first == id ? promises_.erase(i) : std::next(i);
}

handler_run subject_link::spawn(std::uint64_t id, const std::string& kind, const caf::message& args,
                                bool start_now) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  return to_judge_one(ask(caf::make_message(spawn_atom::value, id, kind, to_wire(args), start_now),
                          "spawn function for \"" + kind + "\""));
}

handler_run subject_link::start(std::uint64_t id) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  return to_judge_one(ask(caf::make_message(start_atom::value, id)));
}

std::vector<handler_run> subject_link::deliver(std::uint64_t id, std::vector<caf::message> contents,
                                               std::uint64_t request,
                                               const std::vector<caf::strong_actor_ptr>& senders) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  DCA_ASSERT(!contents.empty());
  auto count = contents.size();
  for (auto& content : contents)
    content = to_wire(content);
  // A plain message's sender crosses as a number, as an actor in a message does (number_of).
  std::vector<std::uint64_t> from;
  for (const auto& sender : senders)
    from.push_back(sender ? number_of(caf::actor_cast<caf::actor>(sender)) : 0);
  return to_judge(ask(caf::make_message(deliver_atom::value, id, std::move(contents), request,
                                        std::move(from))),
                  count);
}

handler_run subject_link::respond(std::uint64_t id, std::uint64_t request,
                                  const caf::message& content) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  return to_judge_one(ask(caf::make_message(respond_atom::value, id, request, to_wire(content))));
}

handler_run subject_link::time_out(std::uint64_t id) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  return to_judge_one(ask(caf::make_message(timed_out_atom::value, id)));
}

std::vector<char> subject_link::call(const std::string& function, const std::vector<char>& args,
                                     const judge_service& statements) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  // The call's statements name no connection's service: they are this call's, whichever it is.
  if (statements)
    offer("statement", 0, statements);
  caf::message answer;
  try {
    answer = ask(caf::make_message(call_atom::value, function, args), function);
  } catch (...) {
    withdraw("statement", 0);
    throw;
  }
  withdraw("statement", 0);
  if (answer.match_elements<refused_atom, std::string>())
    subject_failed("fail", "the judge cannot use the submission's " + function + ": " +
                               answer.get_as<std::string>(1));
  if (!answer.match_elements<returned_atom, std::vector<char>>())
    subject_failed("fail", "the submission answered a call of " + function +
                               " with something that is not what a function returns");
  return answer.get_as<std::vector<char>>(1);
}

std::uint64_t subject_link::offer(const std::string& kind, std::uint64_t id, judge_service serve) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  DCA_ASSERT(serve);
  if (id == 0 && kind != "statement")
    id = ++services_count_;
  services_[{kind, id}] = std::move(serve);
  return id;
}

void subject_link::withdraw(const std::string& kind, std::uint64_t id) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  services_.erase({kind, id});
}

std::uint64_t subject_link::keep_promise(std::uint64_t owner, caf::response_promise promise) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  promises_.emplace(++requests_count_, std::make_pair(owner, std::move(promise)));
  return requests_count_;
}

std::optional<caf::response_promise> subject_link::take_promise(std::uint64_t request) {
  std::lock_guard<std::recursive_mutex> guard{mutex_};
  auto found = promises_.find(request);
  if (found == promises_.end())
    return std::nullopt;
  auto promise = std::move(found->second.second);
  promises_.erase(found);
  return promise;
}

caf::message subject_link::ask(const caf::message& request, const std::string& who) {
  if (fd_ < 0)
    start();
  // Actors whose stand-ins ended since the last request: the subject drops them first, all in
  // one exchange (an explored schedule ends several at once).
  if (!forgotten_.empty()) {
    auto forgotten = std::move(forgotten_);
    forgotten_.clear();
    // Their stand-ins are gone, and with them what the judge lent: an actor that had yet to start
    // runs its start-up on the way out, and whatever it asks the judge then is answered
    // (abandoned), as nothing it does can matter any more.
    converse(caf::make_message(forget_atom::value, std::move(forgotten)), who, true);
  }
  // The judge's virtual time, for a learner's actor that reads its clock (11's replicas).
  if (now_ != subject_now_) {
    subject_now_ = now_;
    // Its answer is checked like any other: a subject that lies here is caught here.
    to_judge_one(converse(caf::make_message(now_atom::value, static_cast<std::int64_t>(
                                                                 now_.time_since_epoch().count())),
                          who));
  }
  return converse(request, who);
}

/// Exchanges `request` for its answer, serving on the way every request the learner's code (`who`
/// runs it) makes of the judge's services. When a service throws (the explorer cutting its
/// schedule short), the later requests are answered (abandoned) and, once the subject has
/// answered `request`, the exception is rethrown: the link stays in step either way. The
/// subject's deadline covers all of its time in the exchange, not each frame's, so learner code
/// that asks the judge in an endless loop times out like one that loops alone; the judge's own
/// time in its services (a statement's lock wait under the explorer) is not the subject's.
/// `ending` (the forgotten actors' exit): every request is answered (abandoned) from the first.
caf::message subject_link::converse(const caf::message& request, const std::string& who,
                                    bool ending) {
  std::chrono::steady_clock::duration subject_time = std::chrono::milliseconds(timeout_ms_);
  auto answer = exchange(request, subject_time);
  std::exception_ptr given_up;
  std::size_t abandoned = 0;
  while (answer.match_elements<service_atom, std::string, std::uint64_t, std::vector<char>>()) {
    auto reply = caf::make_message(abandoned_atom::value);
    if (!given_up && !ending) {
      try {
        reply = serve(answer, who);
      } catch (...) {
        given_up = std::current_exception();
      }
    } else if (++abandoned > abandoned_requests_max) {
      subject_failed("fail", "the submission's " + who + " made " + std::to_string(abandoned) +
                                 " " + answer.get_as<std::string>(1) +
                                 " requests after the judge gave its exchange up (it catches "
                                 "everything and keeps going?)");
    }
    answer = exchange(reply, subject_time);
  }
  if (given_up) // whatever the subject answered, its exchange was given up on the judge's side
    std::rethrow_exception(given_up);
  return answer;
}

/// The answer of the service a (service, KIND, ID, BYTES) frame names.
caf::message subject_link::serve(const caf::message& frame, const std::string& who) {
  const auto& kind = frame.get_as<std::string>(1);
  auto id = frame.get_as<std::uint64_t>(2);
  auto found = services_.find({kind, id});
  if (found == services_.end()) {
    // The kind is the subject's word: named only when the judge knows it, so that a subject's
    // bytes never make up the judge's line.
    bool known = std::find(std::begin(service_kinds), std::end(service_kinds), kind) !=
                 std::end(service_kinds);
    subject_failed("fail", "the submission's " + who + " asked the judge for " +
                               (known ? "a " + kind : std::string{"a service"}) +
                               (id == 0 ? std::string{} : " (number " + std::to_string(id) + ")") +
                               ", which the judge does not offer it here");
  }
  auto service = found->second; // a copy: the service may withdraw an offer, its own too
  return service(frame.get_as<std::vector<char>>(3));
}

/// Sends `request` and reads the subject's answer within `budget`, less what the read took.
caf::message subject_link::exchange(const caf::message& request,
                                    std::chrono::steady_clock::duration& budget) {
  std::vector<char> bytes;
  if (auto err = to_bytes(*sys_, request, bytes))
    subject_failed("fail", "the spec sent a value the bridge cannot serialise: " +
                               sys_->render(err) + " (announce its type)");
  if (!write_frame(fd_, bytes))
    subject_gone("before a handler");
  auto started = std::chrono::steady_clock::now();
  auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(budget).count();
  auto status = read_frame(fd_, static_cast<int>(std::max<std::int64_t>(left_ms, 0)), bytes);
  budget -= std::chrono::steady_clock::now() - started;
  switch (status) {
  case frame_status::ok:
    break;
  case frame_status::closed:
  case frame_status::broken:
    subject_gone("in a handler");
  case frame_status::timed_out:
    subject_failed("timeout", "the submission's actors did not finish one handler within " +
                                  std::to_string(timeout_ms_ / 1000) +
                                  " s (an endless loop or a blocking wait in a handler?)");
  case frame_status::oversized:
    subject_failed("fail", "the submission's actors sent an answer over the bridge's limit of " +
                               std::to_string(frame_bytes_max >> 20) +
                               " MiB for one handler (endless output?)");
  }
  caf::message answer;
  if (auto err = from_bytes(*sys_, bytes, answer))
    subject_failed("fail", "the submission's actors sent a malformed answer: not one message "
                           "of the types the bridge announces (" +
                               sys_->render(err) + ")");
  return answer;
}

void subject_link::subject_gone(const char* during) {
  int status = 0;
  std::string how = "closed the bridge";
  if (pid_ > 0 && waitpid(pid_, &status, 0) == pid_)
    how = exit_words(status);
  pid_ = -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  // A limit the kernel enforced on the subject (file size, CPU time, a kill) ends the judge the
  // same way, so that the sandbox, which reads the limits off the judge's end, names the limit.
  if (sig == SIGXFSZ || sig == SIGXCPU || sig == SIGKILL) {
    std::fprintf(stderr, "dca judge (crash): the submission's actors %s %s\n", how.c_str(), during);
    std::fflush(stderr);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  subject_failed(sig != 0 ? "crash" : "fail", "the submission's actors " + how + " " + during);
}

void subject_link::subject_failed(const std::string& kind, const std::string& what) {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  // The subject's output goes to /dev/null and it cannot open this process's descriptors (not
  // dumpable): this line on the judge's stderr is the judge's own.
  std::fprintf(stderr, "dca judge (%s): %s\n", kind.c_str(), what.c_str());
  std::fflush(stderr);
  std::_Exit(subject_failed_status);
}

/// What the subject says `runs_max` handlers at most did, each checked for its shape.
std::vector<handler_run> subject_link::to_judge(const caf::message& answer, std::size_t runs_max) {
  if (answer.match_elements<refused_atom, std::string>())
    subject_failed("fail", "the judge cannot follow the submission's actors: " +
                               answer.get_as<std::string>(1));
  if (!answer.match_elements<ran_atom, std::vector<handler_result>>())
    subject_failed("fail", "the submission's actors answered with something that is not what one "
                           "handler did");
  const auto& results = answer.get_as<std::vector<handler_result>>(1);
  if (results.empty() || results.size() > runs_max)
    subject_failed("fail", "the submission's actors answered for " +
                               std::to_string(results.size()) + " handlers, asked for " +
                               std::to_string(runs_max));
  std::vector<handler_run> runs;
  for (const auto& result : results)
    runs.push_back(to_run(result));
  return runs;
}

handler_run subject_link::to_run(const handler_result& result) {
  handler_run run;
  for (const auto& o : result.sent)
    run.sent.push_back({stand_in_of(o.to), to_stand_ins(o.content), o.request, o.timeout_ms,
                        o.awaited, o.delay_ms});
  for (const auto& r : result.replies) {
    if (promises_.count(r.request) == 0)
      subject_failed("fail", "the submission's actors answered request " +
                                 std::to_string(r.request) +
                                 ", which the judge never made or which was answered already");
    run.replies.emplace_back(r.request, to_stand_ins(r.content));
  }
  run.quit = result.quit;
  // CAF's own values: none (negative, -1 on the wire) or a positive duration. A zero one is refused
  // on the subject's side (its message would wait unseen in the learner's mailbox).
  if (result.receive_timeout_ns == 0 || result.receive_timeout_ns < -1)
    subject_failed("fail", "the submission's actors answered with a receive timeout of " +
                               std::to_string(result.receive_timeout_ns) +
                               " ns, which no behaviour has");
  run.receive_timeout_ns = result.receive_timeout_ns;
  return run;
}

caf::message subject_link::to_wire(const caf::message& msg) {
  return replace_elements<caf::actor>(
      msg, [this](const caf::actor& x) { return actor_ref{number_of(x)}; });
}

/// The judge's number for `x`: a stand-in's, or, for another actor of the judge's (a fault link in
/// front of a peer, 11's), a new number the learner's actors may send to, as in one process. What
/// they send it comes back here and is sent by their stand-in, when the judge's scheduler says.
std::uint64_t subject_link::number_of(const caf::actor& x) {
  if (!x)
    subject_failed("fail", "the spec passed the submission an invalid actor handle");
  for (const auto& [id, addr] : stand_ins_)
    if (addr == x.address())
      return id;
  auto id = next_id_++;
  stand_ins_.emplace(id, x.address());
  caf::actor_cast<caf::abstract_actor*>(x)->attach_functor([id] { instance().forget_later(id); });
  return id;
}

caf::message subject_link::to_stand_ins(const caf::message& msg) {
  return replace_elements<actor_ref>(msg, [this](const actor_ref& x) { return stand_in_of(x.id); });
}

/// The stand-in numbered `id`; a null handle when it has ended (a message to it is dropped, as
/// CAF drops a message to an actor that is gone). A number never given out is a lie.
caf::actor subject_link::stand_in_of(std::uint64_t id) {
  if (id == 0 || id >= next_id_)
    subject_failed("fail", "the submission's actors named actor " + std::to_string(id) +
                               ", which the judge never made");
  auto found = stand_ins_.find(id);
  return found == stand_ins_.end() ? caf::actor{} : caf::actor_cast<caf::actor>(found->second);
}

} // namespace dca::bridge
