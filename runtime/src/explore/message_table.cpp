// Reading the messages of an actor run off its trace (message_table.hpp). The trace records what
// each mailbox held after every step, so a message that appears there was sent by that step, and
// the steps that handle, lose or repeat it say what became of it: the table is the run's own.
#include "dca/explore/message_table.hpp"

#include <algorithm>
#include <iomanip>
#include <optional>
#include <ostream>
#include <string_view>

namespace dca::explore {

const char* to_string(message_fate x) noexcept {
  switch (x) {
  case message_fate::delivered:
    return "delivered";
  case message_fate::lost:
    return "lost";
  case message_fate::duplicated:
    return "duplicated";
  case message_fate::unhandled:
    return "unhandled";
  }
  return "?";
}

std::string message_row::fault_choice() const {
  if (fault_at == 0)
    return {};
  return (fate == message_fate::lost ? "d" : "t") + std::to_string(to);
}

namespace {

/// "charge 1 100 from checkout": the message and its sender's name; nullopt for what an actor
/// sends itself ("request timed out", "receive timeout"), which crosses no link.
std::optional<std::pair<std::string, std::string>> split_sender(const std::string& text) {
  constexpr std::string_view from = " from ";
  auto at = text.rfind(from);
  if (at == std::string::npos)
    return std::nullopt;
  return std::pair{text.substr(0, at), text.substr(at + from.size())};
}

/// Walks the trace once, keeping what each mailbox held after the step before.
class message_reader {
public:
  explicit message_reader(const report& r) : r_(r), held_(r.actors.size()) {}

  std::vector<message_row> read() {
    for (std::size_t i = 0; i < r_.trace.size(); ++i)
      read_step(i + 1, r_.trace[i]);
    for (auto& row : rows_)
      if (row.fault_at == 0)
        row.fate = row.handled_at.empty() ? message_fate::unhandled : message_fate::delivered;
    return std::move(rows_);
  }

private:
  void read_step(std::size_t n, const step& s) {
    if (s.actor < 0 || static_cast<std::size_t>(s.actor) >= held_.size())
      return;
    auto& box = held_[static_cast<std::size_t>(s.actor)];
    if (s.operation == "handle" || s.operation == "lose") {
      if (auto at = std::find(box.begin(), box.end(), s.object); at != box.end())
        box.erase(at);
      if (auto* row = in_flight(s.actor, s.object))
        take(*row, n, s.operation == "lose");
    } else if (s.operation == "duplicate") {
      box.push_back(s.object);
      if (auto* row = in_flight(s.actor, s.object)) {
        row->fault_at = n;
        row->fate = message_fate::duplicated;
        ++waiting_[static_cast<std::size_t>(row - rows_.data())];
      }
    }
    if (!s.mailboxes.empty())
      arrivals(n, s.mailboxes);
  }

  /// The copy of `text` handled, lost or repeated now: the oldest one waiting for `to`. A message
  /// that was in the mailbox before the first step (sent while the world was set up) gets its row
  /// here.
  message_row* in_flight(int to, const std::string& text) {
    for (std::size_t i = 0; i < rows_.size(); ++i)
      if (rows_[i].to == to && texts_[i] == text && waiting_[i] > 0)
        return &rows_[i];
    return add(to, text, 0);
  }

  void take(message_row& row, std::size_t n, bool lost) {
    --waiting_[static_cast<std::size_t>(&row - rows_.data())];
    if (!lost) {
      row.handled_at.push_back(n);
      return;
    }
    row.fault_at = n;
    row.fate = message_fate::lost;
  }

  /// The messages each mailbox holds now and did not hold after the step before: sent by step `n`.
  void arrivals(std::size_t n, const std::vector<std::vector<std::string>>& boxes) {
    for (std::size_t b = 0; b < boxes.size() && b < held_.size(); ++b) {
      auto before = held_[b];
      for (const auto& text : boxes[b]) {
        if (auto at = std::find(before.begin(), before.end(), text); at != before.end())
          before.erase(at);
        else
          add(static_cast<int>(b), text, n);
      }
      held_[b] = boxes[b];
    }
  }

  /// A new row for `text` in the mailbox of `to`; null when no other actor of the run sent it.
  message_row* add(int to, const std::string& text, std::size_t sent_at) {
    auto parts = split_sender(text);
    if (!parts)
      return nullptr;
    auto name = std::find(r_.actors.begin(), r_.actors.end(), parts->second);
    auto from = static_cast<int>(name - r_.actors.begin());
    if (name == r_.actors.end() || from == to)
      return nullptr;
    message_row row;
    row.message = parts->first;
    row.from = from;
    row.to = to;
    row.sent_at = sent_at;
    rows_.push_back(std::move(row));
    texts_.push_back(text);
    waiting_.push_back(1);
    return &rows_.back();
  }

  const report& r_;
  std::vector<std::vector<std::string>> held_; // by actor: its mailbox after the last step
  std::vector<message_row> rows_;
  std::vector<std::string> texts_; // by row: the message as its receiver's mailbox shows it
  std::vector<int> waiting_;       // by row: copies sent and not yet handled or lost
};

std::string fit_to(std::string text, std::size_t width) {
  if (text.size() > width)
    text = text.substr(0, width - 3) + "...";
  return text;
}

/// "handled at step 3", "LOST at step 4 (d1 in the schedule)", "REPEATED at step 4 (t0 ...)".
std::string what_became_of(const message_row& m) {
  std::string handled;
  for (std::size_t i = 0; i < m.handled_at.size(); ++i)
    handled += (i == 0 ? "" : " and ") + std::to_string(m.handled_at[i]);
  auto fault = " (" + m.fault_choice() + " in the schedule)";
  switch (m.fate) {
  case message_fate::delivered:
    return "handled at step " + handled;
  case message_fate::lost:
    return "LOST at step " + std::to_string(m.fault_at) + fault;
  case message_fate::duplicated:
    return "REPEATED at step " + std::to_string(m.fault_at) + fault + ", handled at " +
           (handled.empty() ? "no step" : "steps " + handled);
  case message_fate::unhandled:
    break;
  }
  return "never handled";
}

/// "payments sent 2, handled 2; checkout sent 2, handled 1, lost 1 on its way in".
std::string per_actor(const report& r, const std::vector<message_row>& rows) {
  std::string out;
  for (int a = 0; a < static_cast<int>(r.actors.size()); ++a) {
    std::size_t sent = 0, handled = 0, lost = 0, repeated = 0;
    for (const auto& m : rows) {
      sent += m.from == a ? 1 : 0;
      handled += m.to == a ? m.handled_at.size() : 0;
      lost += m.to == a && m.fate == message_fate::lost ? 1 : 0;
      repeated += m.to == a && m.fate == message_fate::duplicated ? 1 : 0;
    }
    out += (a == 0 ? "" : "; ") + r.actors[static_cast<std::size_t>(a)] + " sent " +
           std::to_string(sent) + ", handled " + std::to_string(handled);
    if (lost > 0)
      out += ", " + std::to_string(lost) + " lost on the way in";
    if (repeated > 0)
      out += ", " + std::to_string(repeated) + " repeated on the way in";
  }
  return out;
}

} // namespace

bool has_link_faults(const report& r) {
  return std::any_of(r.trace.begin(), r.trace.end(), [](const step& s) {
    return s.operation == "lose" || s.operation == "duplicate";
  });
}

bool shows_message_table(const report& r) {
  return r.between_nodes || has_link_faults(r);
}

std::vector<message_row> message_rows(const report& r) {
  return message_reader{r}.read();
}

void print_message_table(std::ostream& out, const report& r, const std::vector<message_row>& rows) {
  constexpr std::size_t name_max = 12;
  constexpr std::size_t message_max = 28;
  std::size_t name_width = 4;
  for (const auto& name : r.actors)
    name_width = std::min(name_max, std::max(name_width, name.size()));
  auto w = static_cast<int>(name_width + 2);
  out << "\nmessages between the actors (LOST and REPEATED: the explorer's faults on the link):\n"
      << std::left << " msg  " << std::setw(w) << "from" << std::setw(w) << "to"
      << std::setw(static_cast<int>(message_max + 2)) << "message"
      << "sent  what became of it\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& m = rows[i];
    auto name = [&](int a) { return fit_to(r.actors[static_cast<std::size_t>(a)], name_width); };
    out << std::right << std::setw(4) << i + 1 << "  " << std::left << std::setw(w) << name(m.from)
        << std::setw(w) << name(m.to) << std::setw(static_cast<int>(message_max + 2))
        << fit_to(m.message, message_max) << std::setw(6)
        << (m.sent_at == 0 ? std::string{"-"} : std::to_string(m.sent_at)) << what_became_of(m)
        << '\n';
  }
  if (rows.empty())
    out << "   (no message crossed a link in this run)\n";
  out << std::right << "per actor: " << per_actor(r, rows) << "\n\n";
}

} // namespace dca::explore
