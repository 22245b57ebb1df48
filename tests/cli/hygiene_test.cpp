// The hygiene analyzer on small pieces of message-passing code: each rule fires where shared state
// or blocking sneaks in, and stays quiet on the reference solution's shape.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

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
  // Except the anti-pattern a skeleton sets out to teach: exercise 04's awaited request, which the
  // learner replaces (and which must be found there).
  namespace fs = std::filesystem;
  int files = 0, taught = 0;
  for (const char* track : {"solutions", "exercises"})
    for (const auto& dir : fs::directory_iterator(fs::path{DCA_SOURCE_ROOT} / track)) {
      auto file = dir.path() / "message_passing.cpp";
      if (!fs::exists(file))
        continue;
      ++files;
      bool skeleton_04 =
          std::string{track} == "exercises" && dir.path().filename().string().rfind("04_", 0) == 0;
      for (const auto& c : analyze_hygiene(read(file.string()))) {
        if (skeleton_04 && c.rule == "awaited-request") {
          ++taught;
          continue;
        }
        CHECK_MESSAGE(c.severity != severity::essential,
                      file.string() << ":" << c.line << ": " << c.rule << ": " << c.excerpt);
      }
    }
  CHECK(files >= 2);
  CHECK(taught >= 1);
}

// -- the compiler's view: macros expanded ---------------------------------------------------------

TEST_CASE("shared state smuggled behind a macro is found in the preprocessed source") {
  std::string original = "#include <atomic>\n"
                         "#define SMUGGLE std::atomic<long> hits{0}\n"
                         "namespace lost_update {\n"
                         "SMUGGLE;\n"
                         "}\n";
  std::string preprocessed = "# 1 \"/s/message_passing.cpp\"\n"
                             "# 1 \"/usr/include/c++/12/atomic\" 1 3\n"
                             "namespace std { template <class T> struct atomic { T v; }; }\n"
                             "# 2 \"/s/message_passing.cpp\" 2\n"
                             "\n"
                             "namespace lost_update {\n"
                             "std::atomic<long> hits{0};\n"
                             "}\n";
  CHECK(analyze_hygiene(original).empty()); // the raw text hides it
  auto comments = dca::cli::analyze_preprocessed(preprocessed, "/s/message_passing.cpp", original);
  REQUIRE(has(comments, "shared-atomic", severity::essential, 4));
  CHECK(comments.front().excerpt == "SMUGGLE;"); // the learner's own line, not the expansion
  for (const auto& c : comments)
    CHECK(c.line == 4); // nothing from the header
}

TEST_CASE("the preprocessed lines of the learner's file keep their line numbers") {
  auto lines = dca::cli::learner_lines("# 1 \"a.cpp\"\nint a;\n# 1 \"b.hpp\" 1\nint b;\n"
                                       "# 7 \"a.cpp\" 2\nint c;\n",
                                       "a.cpp");
  CHECK(lines == "int a;\n\n\n\n\n\nint c;\n");
}

TEST_CASE("a request awaited inside a handler gets an essential comment") {
  auto comments =
      analyze_hygiene("caf::behavior teller(caf::event_based_actor* self) {\n"
                      "  return {[=](withdraw_atom, long cents) {\n"
                      "    self->request(bank, caf::infinite, cents).await([](long) {});\n"
                      "  }};\n"
                      "}\n");
  CHECK(has(comments, "awaited-request", severity::essential, 3));
}

TEST_CASE("a macro that hides an atomic is found through the compiler's -E output") {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("dca-hygiene-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto source = (dir / "message_passing.cpp").string();
  std::string original = "#include <atomic>\n"
                         "#define X std::atomic<long> total{0}\n"
                         "X;\n"
                         "int main() { return static_cast<int>(total.load()); }\n";
  std::ofstream{source} << original;
  auto out = (dir / "pre.ii").string();
  REQUIRE(std::system(("c++ -std=c++17 -E " + source + " -o " + out).c_str()) == 0);
  auto comments = dca::cli::analyze_preprocessed(read(out), source, original);
  fs::remove_all(dir);
  CHECK(has(comments, "shared-atomic", severity::essential, 3));
}
