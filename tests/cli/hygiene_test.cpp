// The hygiene analyzer on small pieces of message-passing code: each rule fires where shared state
// or blocking sneaks in, and stays quiet on the reference solution's shape.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "grade/hygiene.hpp"

using dca::cli::analyze_hygiene;
using dca::cli::severity;

namespace {

bool has(const std::vector<dca::cli::hygiene_comment>& comments, const std::string& rule,
         severity s, int line) {
  for (const auto& c : comments)
    if (c.rule == rule && c.severity == s && c.line == line)
      return true;
  return false;
}

std::string read(const std::string& file) {
  std::ifstream in{file};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("the reference solution's shape gets no comment") {
  auto comments = analyze_hygiene(read(DCA_SUBMISSIONS "/correct/exercises/01_lost_update/"
                                                       "message_passing.cpp"));
  for (const auto& c : comments)
    INFO(c.rule << " line " << c.line);
  CHECK(comments.empty());
}

TEST_CASE("a global atomic behind the actor is an essential shared-atomic comment") {
  auto comments = analyze_hygiene(read(DCA_SUBMISSIONS "/cheating/exercises/01_lost_update/"
                                                       "message_passing.cpp"));
  REQUIRE(!comments.empty());
  CHECK(has(comments, "shared-atomic", severity::essential, 10));
  CHECK(comments.front().excerpt == "std::atomic<std::int64_t> total{0};");
  CHECK(comments.front().message.find("'total' is a global atomic") != std::string::npos);
}

TEST_CASE("a mutex shared between handlers is an essential shared-lock comment") {
  auto comments = analyze_hygiene("#include <mutex>\n"
                                  "namespace x {\n"
                                  "std::mutex guard;\n"
                                  "void f() { std::lock_guard<std::mutex> lock{guard}; }\n"
                                  "}\n");
  CHECK(has(comments, "shared-lock", severity::essential, 3));
  CHECK(has(comments, "shared-lock", severity::essential, 4));
}

TEST_CASE("globals and statics are essential, constants are not") {
  auto comments = analyze_hygiene("namespace x {\n"
                                  "int total = 0;\n"
                                  "long seen;\n"
                                  "constexpr int limit = 10;\n"
                                  "const char* const name = \"n\";\n"
                                  "caf::behavior worker(caf::event_based_actor* self);\n"
                                  "struct state { int count = 0; };\n"
                                  "using set_atom = caf::atom_constant<caf::atom(\"set\")>;\n"
                                  "void f() { static int calls = 0; ++calls; int local = 1; }\n"
                                  "}\n");
  CHECK(has(comments, "global-state", severity::essential, 2));
  CHECK(has(comments, "global-state", severity::essential, 3));
  CHECK(has(comments, "global-state", severity::essential, 9));
  CHECK(comments.size() == 3);
}

TEST_CASE("a blocking receive inside a handler is essential, a sleep actionable") {
  auto comments = analyze_hygiene(
      "auto b = caf::behavior{\n"
      "  [=](get_atom) {\n"
      "    self->request(other, caf::infinite, get_atom::value).receive([](int) {});\n"
      "    std::this_thread::sleep_for(std::chrono::seconds(1));\n"
      "    caf::scoped_actor blocking{system};\n"
      "  }};\n");
  CHECK(has(comments, "blocking-receive", severity::essential, 3));
  CHECK(has(comments, "blocking-call", severity::actionable, 4));
  CHECK(has(comments, "blocking-receive", severity::essential, 5));
}

TEST_CASE("words in comments and strings are not code") {
  auto comments = analyze_hygiene("// a std::mutex would be wrong here, and so would std::atomic\n"
                                  "/* static int x = 0; */\n"
                                  "const char* why = \"no std::mutex\";\n");
  CHECK(comments.empty());
}

TEST_CASE("shared pointers, own threads, volatile and reference captures are commented") {
  auto comments = analyze_hygiene("void f() {\n"
                                  "  auto p = std::make_shared<int>(0);\n"
                                  "  std::thread t{[&] { ++*p; }};\n"
                                  "  volatile int v = 0;\n"
                                  "  auto q = std::make_shared<const int>(0);\n"
                                  "}\n");
  CHECK(has(comments, "shared-pointer", severity::actionable, 2));
  CHECK(has(comments, "own-threads", severity::actionable, 3));
  CHECK(has(comments, "reference-capture", severity::informative, 3));
  CHECK(has(comments, "volatile", severity::actionable, 4));
  CHECK(!has(comments, "shared-pointer", severity::actionable, 5));
}

TEST_CASE("every reference solution and skeleton is free of essential comments") {
  namespace fs = std::filesystem;
  int files = 0;
  for (const char* track : {"solutions", "exercises"})
    for (const auto& dir : fs::directory_iterator(fs::path{DCA_SOURCE_ROOT} / track)) {
      auto file = dir.path() / "message_passing.cpp";
      if (!fs::exists(file))
        continue;
      ++files;
      for (const auto& c : analyze_hygiene(read(file.string())))
        CHECK_MESSAGE(c.severity != severity::essential,
                      file.string() << ":" << c.line << ": " << c.rule << ": " << c.excerpt);
    }
  CHECK(files >= 2);
}
