// The JSON writer (strings) and a small recursive-descent reader: objects, arrays, strings with
// their escapes (\uXXXX to UTF-8), numbers kept as text, true, false, null.
#include "dca/json.hpp"

#include <cctype>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace dca {

namespace {

/// Length of the valid UTF-8 sequence at s[i] (1 to 4), or 0 when the bytes there are not one.
std::size_t utf8_length(const std::string& s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto lead = byte(i);
  std::size_t n = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
  if (n == 2 && lead < 0xC2)
    return 0; // overlong
  if (n == 3 && lead == 0xE0 && byte(i + 1) < 0xA0)
    return 0; // overlong
  if (n == 3 && lead == 0xED && byte(i + 1) >= 0xA0)
    return 0; // a UTF-16 surrogate
  if (n == 4 && (lead > 0xF4 || (lead == 0xF0 && byte(i + 1) < 0x90) ||
                 (lead == 0xF4 && byte(i + 1) >= 0x90)))
    return 0; // overlong or past U+10FFFF
  return n;
}

void escape_ascii(char c, std::string& out) {
  switch (c) {
  case '"':
    out += "\\\"";
    return;
  case '\\':
    out += "\\\\";
    return;
  case '\n':
    out += "\\n";
    return;
  case '\t':
    out += "\\t";
    return;
  case '\r':
    out += "\\r";
    return;
  default:
    break;
  }
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
    out += buffer;
  } else {
    out += c;
  }
}

void append_utf8(std::uint32_t code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

/// The reader: one pass over the text, throwing std::runtime_error at the first thing it cannot
/// read (parse_json turns that into its error value).
class reader {
public:
  explicit reader(const std::string& text) : s_(text) {}

  json_value document() {
    auto v = value();
    if (skip_space() != '\0')
      fail("text after the document");
    return v;
  }

private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("at byte " + std::to_string(i_) + ": " + why);
  }
  char skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])))
      ++i_;
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  void expect(char c) {
    if (skip_space() != c)
      fail(std::string{"expected '"} + c + "'");
    ++i_;
  }
  bool take_word(const char* word) {
    std::string w{word};
    if (s_.compare(i_, w.size(), w) != 0)
      return false;
    i_ += w.size();
    return true;
  }
  json_value value() {
    json_value v;
    char c = skip_space();
    if (c == '{')
      return object();
    if (c == '[')
      return array();
    if (c == '"') {
      v.type = json_value::kind::string;
      v.text = string();
    } else if (take_word("true")) {
      v.type = json_value::kind::boolean;
      v.boolean = true;
    } else if (take_word("false")) {
      v.type = json_value::kind::boolean;
    } else if (take_word("null")) {
      v.type = json_value::kind::null;
    } else {
      v.type = json_value::kind::number;
      v.text = number();
    }
    return v;
  }
  std::string number() {
    auto start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) ||
                              std::string{"+-.eE"}.find(s_[i_]) != std::string::npos))
      ++i_;
    if (start == i_)
      fail("expected a value");
    return s_.substr(start, i_ - start);
  }
  std::uint32_t hex4() {
    if (i_ + 4 > s_.size())
      fail("a \\u escape ends early");
    auto code = static_cast<std::uint32_t>(std::stoul(s_.substr(i_, 4), nullptr, 16));
    i_ += 4;
    return code;
  }
  void escape(std::string& out) {
    char c = s_[i_++];
    switch (c) {
    case 'n':
      out += '\n';
      return;
    case 't':
      out += '\t';
      return;
    case 'r':
      out += '\r';
      return;
    case 'b':
      out += '\b';
      return;
    case 'f':
      out += '\f';
      return;
    case 'u':
      break;
    default:
      out += c; // \" \\ \/
      return;
    }
    auto code = hex4();
    if (code >= 0xD800 && code < 0xDC00 && s_.compare(i_, 2, "\\u") == 0) {
      i_ += 2;
      code = 0x10000 + ((code - 0xD800) << 10) + (hex4() - 0xDC00);
    }
    append_utf8(code, out);
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        ++i_;
        escape(out);
      } else {
        out += s_[i_++];
      }
    }
    if (i_ >= s_.size())
      fail("a string does not end");
    ++i_;
    return out;
  }
  json_value array() {
    json_value v;
    v.type = json_value::kind::array;
    expect('[');
    while (skip_space() != ']') {
      v.items.push_back(value());
      if (skip_space() == ',')
        ++i_;
      else if (skip_space() != ']')
        fail("expected ',' or ']'");
    }
    ++i_;
    return v;
  }
  json_value object() {
    json_value v;
    v.type = json_value::kind::object;
    expect('{');
    while (skip_space() != '}') {
      auto key = string();
      expect(':');
      v.members.emplace_back(std::move(key), value());
      if (skip_space() == ',')
        ++i_;
      else if (skip_space() != '}')
        fail("expected ',' or '}'");
    }
    ++i_;
    return v;
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

} // namespace

std::string json_quoted(const std::string& s) {
  return '"' + json_escaped(s) + '"';
}

std::string json_escaped(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    auto n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD"; // U+FFFD for a byte that is not UTF-8
      ++i;
    } else if (n == 1) {
      escape_ascii(s[i], out);
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

const json_value* json_value::find(const std::string& key) const {
  for (const auto& [k, v] : members)
    if (k == key)
      return &v;
  return nullptr;
}

std::string json_value::string_at(const std::string& key, const std::string& fallback) const {
  const auto* v = find(key);
  return v != nullptr && v->type == kind::string ? v->text : fallback;
}

std::int64_t json_value::integer_at(const std::string& key, std::int64_t fallback) const {
  const auto* v = find(key);
  if (v == nullptr || v->type != kind::number)
    return fallback;
  try {
    return std::stoll(v->text);
  } catch (const std::exception&) {
    return fallback;
  }
}

bool json_value::boolean_at(const std::string& key, bool fallback) const {
  const auto* v = find(key);
  return v != nullptr && v->type == kind::boolean ? v->boolean : fallback;
}

std::optional<json_value> parse_json(const std::string& text, std::string& error) {
  try {
    return reader{text}.document();
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

std::optional<json_value> last_json_object(const std::string& output) {
  std::istringstream in{output};
  std::string line, error;
  std::optional<json_value> found;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{')
      continue;
    if (auto v = parse_json(line, error); v && v->type == json_value::kind::object)
      found = std::move(v);
  }
  return found;
}

} // namespace dca
