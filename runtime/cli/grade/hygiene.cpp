// A token-level reader, not a compiler: it strips comments, strings and preprocessor lines, tracks
// which braces open namespaces, classes and function bodies, and matches a small set of patterns.
// It can be fooled (a macro hides anything); it is there to catch the honest mistake and the lazy
// cheat, and every comment names the line so a person can judge.
#include "grade/hygiene.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>

namespace dca::cli {

namespace {

struct token {
  std::string text;
  int line = 0;
};

/// Source without comments, string or character literals (replaced by "\"\"" / "''"), and
/// preprocessor lines; newlines kept so line numbers stay right.
class lexer {
public:
  explicit lexer(const std::string& src) : src_(src), n_(src.size()) {}

  std::vector<token> tokens() {
    while (i_ < n_) {
      char c = src_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
        line_start_ = true;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (line_start_ && c == '#') {
        skip_preprocessor();
      } else {
        line_start_ = false;
        take(c);
      }
    }
    return std::move(out_);
  }

private:
  bool at(std::size_t k, char c) const { return k < n_ && src_[k] == c; }

  void take(char c) {
    if (c == '/' && at(i_ + 1, '/'))
      skip_line_comment();
    else if (c == '/' && at(i_ + 1, '*'))
      skip_block_comment();
    else if (c == '"' || c == '\'')
      take_literal(c);
    else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_')
      take_word();
    else if ((c == ':' && at(i_ + 1, ':')) || (c == '-' && at(i_ + 1, '>')))
      push(src_.substr(i_, 2), 2);
    else
      push(std::string(1, c), 1);
  }

  void push(std::string text, std::size_t length) {
    out_.push_back({std::move(text), line_});
    i_ += length;
  }

  /// A preprocessor line, with its continuations.
  void skip_preprocessor() {
    while (i_ < n_ && src_[i_] != '\n') {
      if (src_[i_] == '\\' && at(i_ + 1, '\n')) {
        ++line_;
        ++i_;
      }
      ++i_;
    }
  }

  void skip_line_comment() {
    while (i_ < n_ && src_[i_] != '\n')
      ++i_;
  }

  void skip_block_comment() {
    i_ += 2;
    while (i_ + 1 < n_ && !(src_[i_] == '*' && src_[i_ + 1] == '/')) {
      line_ += src_[i_] == '\n' ? 1 : 0;
      ++i_;
    }
    i_ += 2;
  }

  /// Raw strings R"x( ... )x" are rare in exercise code; treated as ordinary strings.
  void take_literal(char quote) {
    int start_line = line_;
    ++i_;
    while (i_ < n_ && src_[i_] != quote) {
      if (src_[i_] == '\\')
        ++i_;
      else if (src_[i_] == '\n')
        ++line_;
      ++i_;
    }
    ++i_;
    out_.push_back({std::string(2, quote), start_line});
  }

  /// A name or a number (digit separators included).
  void take_word() {
    std::size_t j = i_;
    while (j < n_ && (std::isalnum(static_cast<unsigned char>(src_[j])) || src_[j] == '_' ||
                      (src_[j] == '\'' && std::isdigit(static_cast<unsigned char>(src_[i_])))))
      ++j;
    push(src_.substr(i_, j - i_), j - i_);
  }

  const std::string& src_;
  std::size_t n_;
  std::size_t i_ = 0;
  int line_ = 1;
  bool line_start_ = true;
  std::vector<token> out_;
};

std::vector<token> tokenize(const std::string& src) {
  return lexer{src}.tokens();
}

std::vector<std::string> lines_of(const std::string& src) {
  std::vector<std::string> out;
  std::string line;
  for (char c : src) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  out.push_back(line);
  return out;
}

std::string trimmed(std::string s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos)
    return {};
  s = s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
  return s.size() > 90 ? s.substr(0, 87) + "..." : s;
}

bool is_number(const std::string& t) {
  return !t.empty() && std::isdigit(static_cast<unsigned char>(t[0]));
}

enum class scope { name_space, class_body, block };

struct analyzer {
  const std::vector<token>& toks;
  std::vector<hygiene_comment> comments;
  std::set<std::pair<std::string, int>> seen; // (rule, line): one comment per rule and line

  void add(const std::string& rule, severity sev, int line, std::string message) {
    if (seen.insert({rule, line}).second)
      comments.push_back({rule, sev, line, std::move(message), {}});
  }

  bool has(std::size_t from, std::size_t to, const std::string& text) const {
    for (auto k = from; k < to && k < toks.size(); ++k)
      if (toks[k].text == text)
        return true;
    return false;
  }

  /// Is the statement toks[from, to) a variable definition (as opposed to a function declaration,
  /// a type, an alias...)?
  bool is_variable(std::size_t from, std::size_t to) const {
    if (from >= to)
      return false;
    static const std::set<std::string> not_variables{
        "using",  "typedef", "namespace", "template", "static_assert",
        "extern", "friend",  "struct",    "class",    "enum",
        "union",  "return",  "public",    "private",  "protected"};
    std::size_t first = from;
    while (first < to && (toks[first].text == "static" || toks[first].text == "inline" ||
                          toks[first].text == "thread_local"))
      ++first;
    if (first >= to || not_variables.count(toks[first].text))
      return false;
    if (has(from, to, "const") || has(from, to, "constexpr") || has(from, to, "operator"))
      return false;
    for (auto k = first; k < to; ++k) {
      if (toks[k].text == "=" || toks[k].text == "{")
        return true;
      if (toks[k].text == "(")
        return k + 1 < to && (is_number(toks[k + 1].text) || toks[k + 1].text == "true" ||
                              toks[k + 1].text == "false");
    }
    // "T name;" needs at least a type and a name.
    return to - first >= 2;
  }

  std::string name_of(std::size_t from, std::size_t to) const {
    std::string name;
    for (auto k = from; k < to; ++k) {
      const auto& t = toks[k].text;
      if (t == "=" || t == "{" || t == "(" || t == "[")
        break;
      if (std::isalpha(static_cast<unsigned char>(t[0])) || t[0] == '_')
        name = t;
    }
    return name;
  }

  void statement(std::size_t from, std::size_t to, scope where) {
    if (from >= to)
      return;
    bool is_static = toks[from].text == "static" || toks[from].text == "thread_local";
    if (where == scope::name_space && is_variable(from, to)) {
      bool atomic = false;
      for (auto k = from; k < to; ++k)
        atomic = atomic || toks[k].text.rfind("atomic", 0) == 0;
      add(atomic ? "shared-atomic" : "global-state", severity::essential, toks[from].line,
          "'" + name_of(from, to) + "' is a " + (atomic ? "global atomic" : "global variable") +
              ": every actor can read and write it, so the state is shared again behind the "
              "actors. Keep it in the one actor that owns it (its state) and send messages.");
    } else if (where != scope::name_space && is_static && is_variable(from, to)) {
      add("global-state", severity::essential, toks[from].line,
          "static '" + name_of(from, to) +
              "' is one variable shared by every actor that runs this code: move it into the "
              "owning actor's state.");
    }
  }

  void run() {
    statement_pass();
    for (std::size_t k = 0; k < toks.size(); ++k)
      if (!shared_state_name(k))
        blocking_name(k);
  }

  /// Statement-level pass: scopes, globals, statics.
  void statement_pass() {
    std::vector<scope> scopes;
    std::vector<std::size_t> statement_start{0};
    auto current = [&] { return scopes.empty() ? scope::name_space : scopes.back(); };
    std::size_t start = 0;
    for (std::size_t k = 0; k < toks.size(); ++k) {
      const auto& t = toks[k].text;
      if (t == "{") {
        scope kind = scope::block;
        bool has_paren = false;
        for (auto j = start; j < k; ++j)
          has_paren = has_paren || toks[j].text == "(";
        if (has(start, k, "namespace") || (has(start, k, "extern") && !has_paren))
          kind = scope::name_space;
        else if ((has(start, k, "struct") || has(start, k, "class") || has(start, k, "union") ||
                  has(start, k, "enum")) &&
                 !has_paren)
          kind = scope::class_body;
        else if (current() != scope::block && k > 0 && toks[k - 1].text != ")" &&
                 toks[k - 1].text != "const" && toks[k - 1].text != "noexcept" &&
                 toks[k - 1].text != "override" && is_variable(start, k)) {
          // A brace initializer of a variable: skip to its end, the statement goes on.
          int depth = 0;
          for (; k < toks.size(); ++k) {
            depth += toks[k].text == "{" ? 1 : toks[k].text == "}" ? -1 : 0;
            if (depth == 0)
              break;
          }
          continue;
        }
        scopes.push_back(kind);
        statement_start.push_back(start);
        start = k + 1;
      } else if (t == "}") {
        if (!scopes.empty())
          scopes.pop_back();
        start = statement_start.back();
        if (statement_start.size() > 1)
          statement_start.pop_back();
        // After a function body or namespace the statement is over; after a class body the
        // declaration goes on to its ';'.
        if (k + 1 < toks.size() && toks[k + 1].text != ";" && toks[k + 1].text != ")" &&
            toks[k + 1].text != ",")
          start = k + 1;
      } else if (t == ";") {
        statement(start, k, current());
        start = k + 1;
      }
    }
  }

  // Pattern pass: names that mean shared state or blocking, wherever they are.

  /// Locks, atomics, shared pointers, volatile, reference captures at token k; true if one.
  bool shared_state_name(std::size_t k) {
    static const std::set<std::string> locks{"mutex",
                                             "shared_mutex",
                                             "recursive_mutex",
                                             "timed_mutex",
                                             "lock_guard",
                                             "unique_lock",
                                             "scoped_lock",
                                             "shared_lock",
                                             "condition_variable",
                                             "condition_variable_any",
                                             "pthread_mutex_t",
                                             "spinlock"};
    const auto& t = toks[k].text;
    int line = toks[k].line;
    auto prev = k > 0 ? toks[k - 1].text : std::string{};
    auto next = k + 1 < toks.size() ? toks[k + 1].text : std::string{};
    if (locks.count(t)) {
      add("shared-lock", severity::essential, line,
          "a " + t +
              " in message-passing code: an actor already runs one handler at a time, so a "
              "lock here means some state is shared between actors (C++ Core Guidelines CP.3). "
              "Give that state one owning actor instead.");
    } else if (t == "atomic" || t.rfind("atomic_", 0) == 0) {
      add("shared-atomic", severity::essential, line,
          "std::" + t +
              " in message-passing code: an atomic exists to be shared between threads, i.e. "
              "state reached around the actors' mailboxes. Keep the value in the owning actor's "
              "state and send it messages.");
    } else if (t == "shared_ptr" || t == "make_shared") {
      bool to_const = next == "<" && k + 2 < toks.size() && toks[k + 2].text == "const";
      if (!to_const)
        add("shared-pointer", severity::actionable, line,
            "std::" + t +
                " to a mutable object: if two actors hold it they share state. Send copies "
                "(or std::shared_ptr<const T>) and keep the mutable original in one actor.");
    } else if (t == "volatile") {
      add("volatile", severity::actionable, line,
          "volatile does not make a value safe to share between threads, and an actor's "
          "state needs no protection at all: drop it.");
    } else if (t == "[" && next == "&" &&
               (prev == "(" || prev == "," || prev == "=" || prev == "{" || prev == "return")) {
      add("reference-capture", severity::informative, line,
          "a lambda captures by reference: a handler may run long after the function that "
          "spawned it returned, and everything it captured by reference is shared with that "
          "frame. Capture by value ([=]) or keep the data in the actor's state.");
    } else {
      return false;
    }
    return true;
  }

  /// Blocking receives and calls, and threads of its own, at token k.
  void blocking_name(std::size_t k) {
    const auto& t = toks[k].text;
    int line = toks[k].line;
    auto prev = k > 0 ? toks[k - 1].text : std::string{};
    auto next = k + 1 < toks.size() ? toks[k + 1].text : std::string{};
    if ((t == "receive" || t == "receive_while" || t == "receive_for" || t == "do_receive") &&
        (prev == "->" || prev == ".")) {
      add("blocking-receive", severity::essential, line,
          "a blocking receive: inside a handler it stops this actor (and a scheduler thread) "
          "until the reply comes, and two actors waiting on each other deadlock. Use "
          "request(...).then(...) and handle the reply as a message.");
    } else if (t == "scoped_actor" || t == "blocking_actor") {
      add("blocking-receive", severity::essential, line,
          "a " + t +
              " in message-passing code blocks its thread while it waits; handlers should "
              "never wait. Use request(...).then(...).");
    } else if (t == "await" && prev == "." && next == "(") {
      add("awaited-request", severity::essential, line,
          "request(...).await(...) in a handler: this actor handles no other message until the "
          "reply comes, so two actors awaiting each other deadlock, and the state it read before "
          "the request may be stale when the reply runs. Use request(...).then(...).");
    } else if ((t == "sleep_for" || t == "sleep_until" || t == "usleep" || t == "nanosleep" ||
                (t == "sleep" && next == "(")) &&
               prev != ".") {
      add("blocking-call", severity::actionable, line,
          t + " inside an actor blocks a scheduler thread and delays every actor queued "
              "behind it. To act later, use delayed_send.");
    } else if ((t == "get" || t == "wait") && prev == "." && next == "(" && k >= 2 &&
               has(0, toks.size(), "future")) {
      add("blocking-call", severity::actionable, line,
          "waiting on a future inside an actor blocks a scheduler thread: send a message "
          "when the result is ready instead.");
    } else if ((t == "thread" && prev == "::" && k >= 2 && toks[k - 2].text == "std") ||
               t == "async" || t == "pthread_create" ||
               ((t == "fork" || t == "system" || t == "popen") && next == "(" && prev != "." &&
                prev != "->")) {
      add("own-threads", severity::actionable, line,
          t + " starts work outside the actor system: its results reach the actors without "
              "messages. Spawn an actor instead.");
    }
  }
};

} // namespace

std::string learner_lines(const std::string& preprocessed, const std::string& file) {
  static const std::regex marker{R"re(^# ([0-9]+) "((?:[^"\\]|\\.)*)")re"};
  std::vector<std::string> lines;
  bool mine = false;
  std::size_t line = 0;
  std::istringstream in{preprocessed};
  std::string text;
  while (std::getline(in, text)) {
    std::smatch m;
    if (std::regex_search(text, m, marker)) {
      mine = m[2].str() == file;
      line = std::stoul(m[1].str());
      continue;
    }
    if (mine && line >= 1) {
      if (lines.size() < line)
        lines.resize(line);
      lines[line - 1] += (lines[line - 1].empty() ? "" : " ") + text;
    }
    ++line;
  }
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

std::vector<hygiene_comment> analyze_preprocessed(const std::string& preprocessed,
                                                  const std::string& file,
                                                  const std::string& original) {
  auto comments = analyze_hygiene(learner_lines(preprocessed, file));
  auto lines = lines_of(original);
  for (auto& c : comments)
    if (c.line >= 1 && static_cast<std::size_t>(c.line) <= lines.size())
      c.excerpt = trimmed(lines[static_cast<std::size_t>(c.line - 1)]);
  return comments;
}

const char* to_string(severity s) {
  switch (s) {
  case severity::essential:
    return "essential";
  case severity::actionable:
    return "actionable";
  case severity::informative:
    return "informative";
  }
  return "?";
}

std::vector<std::string> code_tokens(const std::string& source) {
  std::vector<std::string> out;
  for (auto& t : tokenize(source))
    out.push_back(std::move(t.text));
  return out;
}

namespace {
std::set<std::string> shingles(const std::vector<std::string>& tokens) {
  constexpr std::size_t width = 5;
  std::set<std::string> out;
  for (std::size_t i = 0; i + width <= tokens.size(); ++i) {
    std::string s;
    for (std::size_t k = i; k < i + width; ++k)
      s += tokens[k] + '\x1f';
    out.insert(std::move(s));
  }
  return out;
}
} // namespace

double code_similarity(const std::vector<std::string>& a, const std::vector<std::string>& b,
                       const std::vector<std::string>& skeleton, std::size_t& own) {
  auto common = shingles(skeleton);
  auto x = shingles(a), y = shingles(b);
  for (const auto& s : common) {
    x.erase(s);
    y.erase(s);
  }
  own = x.size();
  std::size_t both = 0;
  for (const auto& s : x)
    both += y.count(s);
  auto either = x.size() + y.size() - both;
  return either == 0 ? 1.0 : static_cast<double>(both) / static_cast<double>(either);
}

std::vector<hygiene_comment> analyze_hygiene(const std::string& source) {
  auto toks = tokenize(source);
  analyzer a{toks, {}, {}};
  a.run();
  auto lines = lines_of(source);
  for (auto& c : a.comments)
    if (c.line >= 1 && static_cast<std::size_t>(c.line) <= lines.size())
      c.excerpt = trimmed(lines[static_cast<std::size_t>(c.line - 1)]);
  // The statement pass runs first, so a global atomic is said once, as a global atomic.
  auto merged = std::move(a.comments);
  std::stable_sort(merged.begin(), merged.end(),
                   [](const auto& x, const auto& y) { return x.line < y.line; });
  return merged;
}

std::vector<std::string> hygiene_rules() {
  return {
      "shared-atomic (essential): a std::atomic, or any global atomic",
      "shared-lock (essential): a mutex, lock or condition variable",
      "global-state (essential): a mutable global or static variable",
      "blocking-receive (essential): receive on a blocking actor or a request, a scoped_actor",
      "awaited-request (essential): request(...).await(...) in a handler",
      "blocking-call (actionable): sleep_for, sleep, waiting on a future",
      "shared-pointer (actionable): std::shared_ptr / make_shared to a mutable object",
      "own-threads (actionable): std::thread, std::async, fork, system",
      "volatile (actionable): volatile used as if it synchronized",
      "reference-capture (informative): a lambda capturing by reference ([&])",
  };
}

} // namespace dca::cli
