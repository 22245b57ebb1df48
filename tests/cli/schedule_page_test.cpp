// The schedule page on its own: what it shows of a report (rows, the breaking step, the code read
// at generation time, the handler of an actor's message found by name), that no text of the run can
// break out of the page's markup or its embedded data, and that a page is written whole or not at
// all. The page in a browser is tested by schedule_page_browser.mjs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "explore_page.hpp"
#include "schedule_page.hpp"
#include "text.hpp"

namespace fs = std::filesystem;
using namespace dca::cli;
using dca::json_value;

namespace {

struct scratch {
  fs::path dir = fs::path{DCA_TEST_SCRATCH} / ("schedule-page-" + std::to_string(getpid()));
  scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() { fs::remove_all(dir); }

  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream{dir / name} << text;
    return dir / name;
  }
};

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

json_value parsed(const std::string& text) {
  std::string error;
  auto v = dca::parse_json(text, error);
  REQUIRE_MESSAGE(v, error);
  return *v;
}

exercise_entry lost_update() {
  exercise_entry e;
  e.id = "01_lost_update";
  e.pattern = "P1";
  e.title = "Lost update";
  e.invariant = "every increment is counted";
  return e;
}

explore_page_request request(const exercise_entry& e, const std::string& variant,
                             const fs::path& dir, const fs::path& learner) {
  explore_page_request req;
  req.entry = &e;
  req.variant = variant;
  req.invoked = "dca %s 01";
  req.build_dir = dir;
  req.exercise_dir = dir;
  req.learner_file = learner;
  return req;
}

} // namespace

TEST_CASE("a failing report becomes one row per step with its breaking step and the code read") {
  scratch s;
  auto source = s.write("shared_state.cpp", "a\nb\nc\nload();\nstore();\nf\n");
  auto entry = lost_update();
  auto req = request(entry, "shared", s.dir, {});
  auto report = parsed(
      R"({"outcome":"invariant_broken","actors":["T1","T2"],"breaking_step":2,"schedule":"0.1",)"
      R"("trace":[{"actor":0,"text":"load counter = 0","file":"shared_state.cpp","line":4,)"
      R"("path":"shared_state.cpp"},{"actor":1,"text":"store counter := 1",)"
      R"("file":"shared_state.cpp","line":5,"path":")" +
      source.string() + R"("}]})");
  auto page = page_of_report(req, report, nullptr);
  CHECK(page.heading == "01_lost_update (P1, shared): Lost update");
  CHECK(page.replay == "dca explore 01 --variant shared --replay 0.1");
  REQUIRE(page.steps.size() == 2);
  CHECK(page.steps[1].where == "shared_state.cpp:5");
  REQUIRE(page.codes.size() == 2);
  CHECK(page.codes[1].marked_line == 5);
  CHECK(page.codes[1].first_line == 1);
  CHECK(page.codes[1].lines.size() == 6);
  auto html = render_schedule_page(page);
  CHECK(count(html, "<tr class=\"breaks\">") == 1);
  CHECK(html.find("data-breaking-step=\"2\"") != std::string::npos);
  CHECK(html.find("every increment is counted") != std::string::npos);
}

TEST_CASE("an actor's handled message points at the handler that takes its atom") {
  scratch s;
  auto learner = s.write("message_passing.cpp", "x\n  [=](get_atom) {}\n  [=](inc_atom) {}\n");
  auto entry = lost_update();
  auto req = request(entry, "actors", s.dir, learner);
  auto report = parsed(
      R"({"outcome":"invariant_broken","actors":["counter","W1"],"breaking_step":1,)"
      R"("trace":[{"actor":0,"operation":"handle","object":"inc from W1","text":"handle inc from W1",)"
      R"("file":"","line":0,"path":"","mailboxes":[["get from W1"],[]]}]})");
  auto page = page_of_report(req, report, nullptr);
  REQUIRE(page.steps.size() == 1);
  CHECK(page.steps[0].where == "message_passing.cpp:3");
  REQUIRE(page.codes.size() == 1);
  CHECK(page.codes[0].caption.find("'inc'") != std::string::npos);
  REQUIRE(page.steps[0].mailboxes.size() == 2);
  CHECK(page.steps[0].mailboxes[0] == std::vector<std::string>{"get from W1"});
  CHECK(render_schedule_page(page).find("id=\"mailboxes\"") != std::string::npos);
}

TEST_CASE("a run with a lost and a repeated message draws one arrow per copy, and a message "
          "naming no actor of the run is left out") {
  auto entry = lost_update();
  auto req = request(entry, "shared", fs::path{DCA_TEST_SCRATCH}, {});
  auto report = parsed(
      R"({"outcome":"invariant_broken","actors":["payments","checkout"],"breaking_step":4,)"
      R"("schedule":"0.1.d1.0","trace":[{"actor":0,"text":"handle charge 1"},)"
      R"({"actor":1,"text":"lose reply 1"},{"actor":0,"text":"duplicate charge 1"},)"
      R"({"actor":0,"text":"handle charge 1"}],"messages":[)"
      R"({"from":1,"to":0,"message":"charge <1>","sent_at":0,"handled_at":[1],"fate":"delivered",)"
      R"("fault_at":0,"fault":""},{"from":0,"to":1,"message":"reply 1","sent_at":1,)"
      R"("handled_at":[],"fate":"lost","fault_at":2,"fault":"d1"},{"from":1,"to":0,)"
      R"("message":"charge 1","sent_at":1,"handled_at":[4,4],"fate":"duplicated","fault_at":3,)"
      R"("fault":"t0"},{"from":7,"to":0,"message":"from nowhere","sent_at":1,"handled_at":[],)"
      R"("fate":"unhandled","fault_at":0,"fault":""}]})");
  auto page = page_of_report(req, report, nullptr);
  REQUIRE(page.messages.size() == 3);
  CHECK(page.messages[2].handled_at == std::vector<std::size_t>{4, 4});
  auto html = render_schedule_page(page);
  CHECK(count(html, "<g class=\"arrow ") == 4); // 1 + 1 lost + 2 copies of the repeated one
  CHECK(count(html, "<g class=\"arrow lost\"") == 1);
  CHECK(count(html, "<g class=\"arrow repeated\"") == 1);
  CHECK(html.find("lost at step 2 (d1 in the schedule)") != std::string::npos);
  CHECK(html.find("charge &lt;1&gt;") != std::string::npos);
  CHECK(html.find("from nowhere") == std::string::npos);
  page.messages.clear();
  CHECK(render_schedule_page(page).find("id=\"sequence\"") == std::string::npos);
}

TEST_CASE("no text of the run can close the page's script or inject markup") {
  schedule_page page;
  page.heading = "<b>x</b>";
  page.outcome = "invariant_broken";
  page.verdict = "</script><script>alert(1)</script>";
  page.actors = {"T1"};
  page.steps.push_back({0, "store s := </script>", "", -1, {}});
  page.breaking_step = 1;
  auto html = render_schedule_page(page);
  CHECK(count(html, "</script>") == 2); // the data's and the script's own
  CHECK(html.find("<b>x</b>") == std::string::npos);
  CHECK(html.find("&lt;/script&gt;&lt;script&gt;alert(1)") != std::string::npos);
  CHECK(html.find(R"(store s := <\/script>)") != std::string::npos);
}

TEST_CASE("a page is written whole, or not at all with one line saying why") {
  scratch s;
  auto page = s.dir / "page.html";
  CHECK(write_whole(page, "<p>one</p>\n").empty());
  CHECK(read_text(page) == "<p>one</p>\n");
  auto why = write_whole(s.dir / "missing" / "page.html", "<p>two</p>\n");
  CHECK(why.find("cannot write") == 0);
  CHECK(why.find("No such file or directory") != std::string::npos);
  CHECK(why.find('\n') == std::string::npos);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& f : fs::directory_iterator{s.dir})
    ++files;
  CHECK(files == 1); // no temporary file left beside the page
}
