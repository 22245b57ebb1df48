// Rendering a schedule page: the step table is plain HTML (readable with scripts off); a short
// inline script moves the cursor with the arrow keys and fills the side panel (the code of the step
// under the cursor, each mailbox after it) from the JSON embedded in the page.
#include "schedule_page.hpp"

#include <algorithm>
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
#messages { padding: 0 20px 16px; } #messages svg { max-width: 100%; height: auto; }
#messages table { width: auto; margin: 6px 0 10px; }
svg .lifeline { stroke: var(--line); stroke-width: 2; stroke-dasharray: 6 5; }
svg .band { fill: transparent; } svg .band.now { fill: var(--cursor); }
svg text { font: 13px "Liberation Mono", "DejaVu Sans Mono", monospace; fill: var(--ink); }
svg text.head { font: 600 15px system-ui, sans-serif; } svg text.n { fill: var(--muted); }
svg .arrow line { stroke: #1d3557; stroke-width: 2; }
svg .arrow.lost line { stroke: var(--bad-ink); stroke-dasharray: 7 4; }
svg .arrow text { paint-order: stroke; stroke: #fff; stroke-width: 4px; }
svg .arrow.lost text { fill: var(--bad-ink); } svg .arrow.lost path { stroke: var(--bad-ink); }
svg .arrow.repeated line { stroke: #9a6700; } svg .arrow.repeated text { fill: #9a6700; }
svg .arrow.unhandled line { stroke: var(--muted); stroke-dasharray: 2 4; }
svg .arrow.now line { stroke-width: 4; } svg .arrow.now text { font-weight: 700; }
td.lost { color: var(--bad-ink); font-weight: 600; } td.duplicated { color: #9a6700; font-weight: 600; }
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
    const at = String(cursor + 1);
    document.querySelectorAll('#messages .band').forEach((b) => b.classList.toggle('now', b.dataset.step === at));
    document.querySelectorAll('#messages .arrow').forEach((a) =>
      a.classList.toggle('now', a.dataset.sent === at || a.dataset.at === at));
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

// -- the message sequence diagram
// ------------------------------------------------------------------

/// Where the diagram draws: one lifeline per actor, one band per step, top to bottom.
struct diagram_layout {
  static constexpr int left = 56; // the step numbers
  static constexpr int row = 36;  // per step
  static constexpr int top = 40;  // the actors' names
  std::size_t actors = 0;
  std::size_t steps = 0;
  int column = 250; // between lifelines: wide enough for the longest label (diagram_of)

  int x(int actor) const { return left + 110 + actor * column; }
  int y(std::size_t step) const { return top + static_cast<int>(step) * row; }
  int width() const { return x(static_cast<int>(actors) - 1) + 140; }
  int height() const { return y(steps + 1); }
};

void write_lifelines(std::ostream& out, const schedule_page& page, const diagram_layout& at) {
  for (std::size_t s = 1; s <= at.steps; ++s)
    out << "<rect class=\"band\" data-step=\"" << s << "\" x=\"0\" y=\"" << at.y(s) - at.row / 2
        << "\" width=\"" << at.width() << "\" height=\"" << at.row
        << "\"/><text class=\"n\" x=\"8\" y=\"" << at.y(s) + 4 << "\">" << s << "</text>\n";
  for (std::size_t a = 0; a < page.actors.size(); ++a) {
    auto x = at.x(static_cast<int>(a));
    out << "<text class=\"head\" text-anchor=\"middle\" x=\"" << x << "\" y=\"20\">"
        << markup_escaped(page.actors[a]) << "</text><line class=\"lifeline\" x1=\"" << x
        << "\" y1=\"28\" x2=\"" << x << "\" y2=\"" << at.height() << "\"/>\n";
  }
}

/// One copy of message `m` (index `i`) as an arrow: to the step that handled it, to the point where
/// the explorer lost it (a cross), or on to the end of the run when nothing handled it.
void write_arrow(std::ostream& out, const diagram_layout& at, const page_message& m, std::size_t i,
                 std::size_t copy) {
  int x1 = at.x(m.from), y1 = at.y(m.sent_at), x2 = at.x(m.to), y2 = at.height() - at.row / 2;
  std::string kind = "unhandled", label = m.message;
  std::size_t end = 0;
  if (copy < m.handled_at.size()) {
    end = m.handled_at[copy];
    y2 = at.y(end);
    kind = copy == 1 ? "repeated" : "delivered";
    label += copy == 1 ? " (again: " + m.fault + ")" : "";
  } else if (m.fate == "lost") {
    end = m.fault_at;
    x2 = x1 + (x2 - x1) * 3 / 5;
    y2 = at.y(end);
    kind = "lost";
    label += " (lost: " + m.fault + ")";
  }
  out << "<g class=\"arrow " << kind << "\" data-message=\"" << i + 1 << "\" data-from=\"" << m.from
      << "\" data-to=\"" << m.to << "\" data-sent=\"" << m.sent_at << "\" data-at=\"" << end
      << "\"><line x1=\"" << x1 << "\" y1=\"" << y1 << "\" x2=\"" << x2 << "\" y2=\"" << y2 << "\""
      << (kind == "lost" ? "" : " marker-end=\"url(#head)\"") << "/>";
  if (kind == "lost")
    out << "<path d=\"M" << x2 - 7 << ',' << y2 - 7
        << " l14,14 m0,-14 l-14,14\" stroke-width=\"3\"/>";
  // Labels of messages sent at one step would sit on each other at their arrows' middles: every
  // other message puts its label 4/10 of the way along, the others 6/10.
  int tenths = i % 2 == 0 ? 4 : 6;
  out << "<text text-anchor=\"middle\" x=\"" << x1 + (x2 - x1) * tenths / 10 << "\" y=\""
      << y1 + (y2 - y1) * tenths / 10 - 6 << "\">" << markup_escaped(label) << "</text></g>\n";
}

/// "handled at step 3", "lost at step 4 (d1)", "repeated at step 4 (t0), handled at 5 and 7".
std::string fate_words(const page_message& m) {
  std::string handled;
  for (std::size_t k = 0; k < m.handled_at.size(); ++k)
    handled += (k == 0 ? "" : " and ") + std::to_string(m.handled_at[k]);
  if (m.fate == "lost")
    return "lost at step " + std::to_string(m.fault_at) + " (" + m.fault + " in the schedule)";
  if (m.fate == "duplicated")
    return "repeated at step " + std::to_string(m.fault_at) + " (" + m.fault +
           " in the schedule), handled at " + (handled.empty() ? "no step" : "steps " + handled);
  return handled.empty() ? "never handled" : "handled at step " + handled;
}

void write_message_table(std::ostream& out, const schedule_page& page) {
  out << "<table id=\"message-table\">\n<thead><tr><th>#</th><th>from</th><th>to</th>"
      << "<th>message</th><th>sent at step</th><th>what became of it</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < page.messages.size(); ++i) {
    const auto& m = page.messages[i];
    out << "<tr><td class=\"n\">" << i + 1 << "</td><td>"
        << markup_escaped(page.actors[static_cast<std::size_t>(m.from)]) << "</td><td>"
        << markup_escaped(page.actors[static_cast<std::size_t>(m.to)]) << "</td><td class=\"op\">"
        << markup_escaped(m.message) << "</td><td>"
        << (m.sent_at == 0 ? std::string{"before"} : std::to_string(m.sent_at))
        << "</td><td class=\"" << markup_escaped(m.fate) << "\">" << markup_escaped(fate_words(m))
        << "</td></tr>\n";
  }
  out << "</tbody>\n</table>\n";
}

/// The messages of a run in which a link lost or repeated one: a table, then the sequence diagram
/// (inline SVG) drawn from the same rows, one arrow per copy.
void write_messages(std::ostream& out, const schedule_page& page) {
  if (page.messages.empty())
    return;
  diagram_layout at;
  at.actors = page.actors.size();
  at.steps = page.steps.size();
  // A label sits over the middle of its arrow: a column of 8 px per character (13 px monospace)
  // keeps the longest one, with its fault's words, between the two lifelines it joins.
  constexpr int column_max = 520;
  std::size_t longest = 0;
  for (const auto& m : page.messages)
    longest = std::max(longest, m.message.size() + 12);
  at.column = std::min(column_max, std::max(at.column, static_cast<int>(longest) * 8));
  out << "<section id=\"messages\">\n<h2>Messages between the actors</h2>\n"
      << "<p class=\"keys\">One arrow per copy of a message, from the step that sent it to the "
         "step "
         "that handled it. Red: lost by the explorer (dN in the schedule: the link into actor N); "
         "amber: the copy it repeated (tN). The band follows the cursor.</p>\n";
  write_message_table(out, page);
  out << "<svg id=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << at.width()
      << ' ' << at.height() << "\" width=\"" << at.width() << "\" height=\"" << at.height()
      << "\" role=\"img\" aria-label=\"message sequence diagram\">\n<defs><marker id=\"head\" "
         "viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"12\" markerHeight=\"12\" "
         "markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
         "fill=\"#1d3557\"/></marker></defs>\n";
  write_lifelines(out, page, at);
  for (std::size_t i = 0; i < page.messages.size(); ++i)
    for (std::size_t copy = 0; copy < page.messages[i].copies(); ++copy)
      write_arrow(out, at, page.messages[i], i, copy);
  out << "</svg>\n</section>\n";
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
  out << "</aside>\n</main>\n";
  write_messages(out, page);
  out << "<script type=\"application/json\" id=\"dca-run\">" << page_data(page)
      << "</script>\n<script>" << page_script << "</script>\n</body>\n</html>\n";
  return out.str();
}

} // namespace dca::cli
