// The shared text helpers: files, columns, shell words.
#include "text.hpp"

#include <cctype>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>

#include "dca/assert.hpp"

namespace dca::cli {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

std::string last_output_line(const std::string& output) {
  auto end = output.find_last_not_of('\n');
  if (end == std::string::npos)
    return {};
  auto start = output.rfind('\n', end);
  return output.substr(start == std::string::npos ? 0 : start + 1, end - (start + 1) + 1);
}

std::string fit_columns(const std::string& s, std::size_t width) {
  DCA_ASSERT_MSG(width > 4, "a column holds at least one character, \"...\" and a space");
  auto room = width - 1;
  std::size_t columns = 0, cut = s.size();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      continue; // a continuation byte: part of the character before
    if (columns == room - 3 && cut == s.size())
      cut = i;
    ++columns;
  }
  if (columns > room)
    return s.substr(0, cut) + "... ";
  return s + std::string(room - columns, ' ') + ' ';
}

std::string markup_escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t')
        out += c;
    }
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"$\\`") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

namespace {

/// Appends the quoted text that starts at line[i] (a quote) to `word`; returns the closing quote's
/// index.
std::size_t take_quoted(const std::string& line, std::size_t i, std::string& word) {
  char quote = line[i];
  for (++i; i < line.size() && line[i] != quote; ++i) {
    if (quote == '"' && line[i] == '\\' && i + 1 < line.size() &&
        (line[i + 1] == '"' || line[i + 1] == '\\' || line[i + 1] == '$'))
      ++i;
    word += line[i];
  }
  return i;
}

} // namespace

std::vector<std::string> shell_words(const std::string& line) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word)
        out.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"')
      i = take_quoted(line, i, word);
    else if (c == '\\' && i + 1 < line.size())
      word += line[++i];
    else
      word += c;
  }
  if (in_word)
    out.push_back(word);
  return out;
}

std::string random_hex() {
  std::random_device device;
  std::ostringstream out;
  // Zero-padded: always 32 digits. Unpadded, a word under 2^28 printed short, so the nonce's length
  // varied from run to run (32 digits in about 77% of runs), and so did what a forger had to match.
  for (int i = 0; i < 4; ++i)
    out << std::hex << std::setw(8) << std::setfill('0') << device();
  return out.str();
}

} // namespace dca::cli
