// Rendering a schedule page: the step table is plain HTML (readable with scripts off); a short
// inline script moves the cursor with the arrow keys and fills the side panel (the code of the step
// under the cursor, each mailbox after it) from the JSON embedded in the page.
#include "schedule_page.hpp"

#include <sstream>

#include "dca/json.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

const char* const page_style = R"css(
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --cursor: #fff3bf; --bad: #ffd7d5;
  --bad-ink: #a40e26; --good: #dafbe1; --good-ink: #116329; --code: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--ink); background: #fff; }
header, main { padding: 12px 20px; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 19px; margin: 0 0 8px; }
.verdict { padding: 8px 12px; border-radius: 6px; margin: 6px 0; font-weight: 600; }
.verdict.bad { background: var(--bad); color: var(--bad-ink); }
.verdict.good { background: var(--good); color: var(--good-ink); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0 0; }
dt { color: var(--muted); } dd { margin: 0; }
code, pre, td.op { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 14px; }
main { display: flex; gap: 20px; align-items: flex-start; }
#trace { flex: 1 1 60%; overflow-x: auto; }
#panel { flex: 1 1 40%; position: sticky; top: 8px; min-width: 320px; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--code); }
td.n, td.where { color: var(--muted); white-space: nowrap; }
tr.breaks td { background: var(--bad); }
tr.breaks td.n::after { content: " \2716"; color: var(--bad-ink); }
tr.cursor td { background: var(--cursor); }
tr.cursor.breaks td { background: #ffb3ad; }
tr { cursor: pointer; }
pre { background: var(--code); border: 1px solid var(--line); padding: 6px 0; margin: 4px 0;
  overflow-x: auto; }
pre span { display: block; padding: 0 8px; white-space: pre; }
pre span.here { background: var(--cursor); font-weight: 700; }
.keys { color: var(--muted); font-size: 13px; }
h2 { font-size: 16px; margin: 10px 0 4px; }
ol.mailbox { margin: 0; padding-left: 22px; } .empty { color: var(--muted); }
)css";

const char* const page_script = R"js(
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('dca-run').textContent);
  const rows = Array.from(document.querySelectorAll('#steps tbody tr'));
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  let cursor = 0;
  function showCode(step) {
    const box = $('code'); box.replaceChildren();
    if (step.code < 0) { box.append(el('p', 'No line of the exercise ran this step.', 'empty')); return; }
    const c = data.codes[step.code];
    box.append(el('p', c.caption + ': ' + c.file + ':' + c.marked));
    const pre = el('pre');
    c.lines.forEach((text, k) => { const n = c.first + k;
      pre.append(el('span', String(n).padStart(4) + '  ' + text, n === c.marked ? 'here' : '')); });
    box.append(pre);
  }
  function showMailboxes(step) {
    const box = $('mailboxes'); if (!box) return; box.replaceChildren();
    data.actors.forEach((name, a) => {
      const waiting = (step.mailboxes || [])[a] || [];
      box.append(el('h3', name));
      if (!waiting.length) { box.append(el('p', 'empty', 'empty')); return; }
      const list = el('ol', undefined, 'mailbox'); waiting.forEach((m) => list.append(el('li', m)));
      box.append(list);
    });
  }
  function show(i) {
    if (!rows.length) return;
    cursor = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, k) => r.classList.toggle('cursor', k === cursor));
    rows[cursor].scrollIntoView({ block: 'nearest' });
    document.body.dataset.cursor = String(cursor + 1);
    const step = data.steps[cursor];
    const breaks = cursor + 1 === data.breaking_step;
    $('at').textContent = 'Step ' + (cursor + 1) + ' of ' + rows.length + ': ' +
      data.actors[step.actor] + ' ' + step.text + (step.where ? ' (' + step.where + ')' : '') +
      (breaks ? ' \u2014 after this step the invariant is broken.' : '');
    showCode(step); showMailboxes(step);
  }
  document.addEventListener('keydown', (e) => {
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    if (e.key in moves) show(cursor + moves[e.key]);
    else if (e.key === 'Home') show(0);
    else if (e.key === 'End') show(rows.length - 1);
    else return;
    e.preventDefault();
  });
  rows.forEach((r, k) => r.addEventListener('click', () => show(k)));
  show(0);
})();
)js";

/// A JSON array of strings.
std::string json_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i > 0 ? "," : "") + json_quoted(items[i]);
  return out + "]";
}

std::string json_step(const page_step& s) {
  std::string boxes = "[";
  for (std::size_t i = 0; i < s.mailboxes.size(); ++i)
    boxes += (i > 0 ? "," : "") + json_strings(s.mailboxes[i]);
  return "{\"actor\":" + std::to_string(s.actor) + ",\"text\":" + json_quoted(s.text) +
         ",\"where\":" + json_quoted(s.where) + ",\"code\":" + std::to_string(s.code) +
         ",\"mailboxes\":" + boxes + "]}";
}

std::string json_code(const page_code& c) {
  return "{\"file\":" + json_quoted(c.file) + ",\"first\":" + std::to_string(c.first_line) +
         ",\"marked\":" + std::to_string(c.marked_line) + ",\"caption\":" + json_quoted(c.caption) +
         ",\"lines\":" + json_strings(c.lines) + "}";
}

/// What the script reads. "</" is written "<\/" (the same string in JSON), so no text of the run
/// can end the <script> element it sits in.
std::string page_data(const schedule_page& page) {
  std::string out = "{\"actors\":" + json_strings(page.actors) +
                    ",\"breaking_step\":" + std::to_string(page.breaking_step) + ",\"steps\":[";
  for (std::size_t i = 0; i < page.steps.size(); ++i)
    out += (i > 0 ? "," : "") + json_step(page.steps[i]);
  out += "],\"codes\":[";
  for (std::size_t i = 0; i < page.codes.size(); ++i)
    out += (i > 0 ? "," : "") + json_code(page.codes[i]);
  out += "]}";
  std::string safe;
  for (std::size_t i = 0; i < out.size(); ++i) {
    safe += out[i];
    if (out[i] == '<' && i + 1 < out.size() && out[i + 1] == '/')
      safe += '\\';
  }
  return safe;
}

void write_summary(std::ostream& out, const schedule_page& page) {
  out << "<header>\n<h1>" << markup_escaped(page.heading) << "</h1>\n";
  if (page.clean())
    out << "<div class=\"verdict good\" id=\"verdict\">Clean: no explored schedule breaks the "
           "invariant. Below is one of them, the schedule the explorer tries first.</div>\n";
  else
    out << "<div class=\"verdict bad\" id=\"verdict\">"
        << (page.outcome == "deadlock" ? "DEADLOCK: " : "CORRUPTED: ")
        << markup_escaped(page.verdict) << "</div>\n";
  out << "<dl>\n<dt>invariant</dt><dd id=\"invariant\">"
      << (page.invariant.empty() ? "<span class=\"empty\">the manifest states none</span>"
                                 : markup_escaped(page.invariant))
      << "</dd>\n";
  if (!page.replay.empty())
    out << "<dt>replay</dt><dd><code id=\"replay\">" << markup_escaped(page.replay)
        << "</code></dd>\n";
  out << "<dt>explored</dt><dd id=\"explored\">" << markup_escaped(page.explored)
      << "</dd>\n</dl>\n"
      << "<p class=\"keys\">\u2190 \u2192 (or click a row) move the cursor; Home and End jump to "
         "the first and last step.</p>\n</header>\n";
}

void write_table(std::ostream& out, const schedule_page& page) {
  out << "<section id=\"trace\">\n<table id=\"steps\" data-breaking-step=\"" << page.breaking_step
      << "\">\n<thead><tr><th>step</th>";
  for (const auto& name : page.actors)
    out << "<th>" << markup_escaped(name) << "</th>";
  out << "<th>where</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < page.steps.size(); ++i) {
    const auto& s = page.steps[i];
    out << "<tr" << (i + 1 == page.breaking_step ? " class=\"breaks\"" : "") << "><td class=\"n\">"
        << i + 1 << "</td>";
    for (std::size_t a = 0; a < page.actors.size(); ++a)
      out << "<td class=\"op\">" << (static_cast<int>(a) == s.actor ? markup_escaped(s.text) : "")
          << "</td>";
    out << "<td class=\"where\">" << markup_escaped(s.where) << "</td></tr>\n";
  }
  out << "</tbody>\n</table>\n";
  if (page.steps.empty())
    out << "<p class=\"empty\">The run took no step.</p>\n";
  out << "</section>\n";
}

bool has_mailboxes(const schedule_page& page) {
  for (const auto& s : page.steps)
    if (!s.mailboxes.empty())
      return true;
  return false;
}

} // namespace

std::string render_schedule_page(const schedule_page& page) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>" << markup_escaped(page.heading) << "</title>\n<style>" << page_style
      << "</style>\n</head>\n<body data-cursor=\"0\">\n";
  write_summary(out, page);
  out << "<main>\n";
  write_table(out, page);
  out << "<aside id=\"panel\">\n<h2>Under the cursor</h2>\n<p id=\"at\"></p>\n"
      << "<div id=\"code\"></div>\n";
  if (has_mailboxes(page))
    out << "<h2>Mailboxes after this step, in delivery order</h2>\n<div id=\"mailboxes\"></div>\n";
  out << "</aside>\n</main>\n<script type=\"application/json\" id=\"dca-run\">" << page_data(page)
      << "</script>\n<script>" << page_script << "</script>\n</body>\n</html>\n";
  return out.str();
}

} // namespace dca::cli
