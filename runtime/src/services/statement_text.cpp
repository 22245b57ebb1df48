// Labels and values of statements for the explorer's trace (see statement_text.hpp).
#include "statement_text.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

namespace dca::services {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in{text};
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

/// The word after the first `keyword` (case-insensitive), without a trailing comma or ';'.
std::string word_after(const std::vector<std::string>& words, const char* keyword) {
  for (std::size_t i = 0; i + 1 < words.size(); ++i)
    if (upper(words[i]) == keyword) {
      auto w = words[i + 1];
      w.erase(std::find_if(w.begin(), w.end(), [](char c) { return c == '(' || c == ';'; }),
              w.end());
      return w;
    }
  return {};
}

std::string with_table(const std::string& verb, const std::string& table) {
  return table.empty() ? verb : verb + ' ' + table;
}

/// "$2" -> the second parameter's text.
std::string substituted(const std::string& text, const std::vector<sql_param>& params) {
  static const std::regex placeholder{R"(\$(\d+))"};
  std::string out;
  auto last = text.cbegin();
  for (std::sregex_iterator m{text.cbegin(), text.cend(), placeholder}, end; m != end; ++m) {
    out.append(last, (*m)[0].first);
    auto index = static_cast<std::size_t>(std::stoul((*m)[1].str()));
    out += index >= 1 && index <= params.size() && params[index - 1] ? *params[index - 1] : "NULL";
    last = (*m)[0].second;
  }
  return out.append(last, text.cend());
}

/// "stock = stock - 1" -> "stock=stock-1": the trace's columns are narrow.
std::string compact(std::string s) {
  static const std::regex around_operator{R"(\s*([=+\-*/<>,])\s*)"};
  s = std::regex_replace(s, around_operator, "$1");
  static const std::regex comma{","};
  return std::regex_replace(s, comma, ", ");
}

std::string update_value(const std::string& sql, const std::vector<sql_param>& params) {
  static const std::regex set_clause{R"(\bSET\s+(.*?)(\s+WHERE\b|\s+RETURNING\b|;|$))",
                                     std::regex::icase};
  std::smatch m;
  if (!std::regex_search(sql, m, set_clause))
    return {};
  return compact(substituted(m[1].str(), params));
}

std::string first_row(const pg_result& r) {
  if (r.rows() == 0)
    return "no row";
  std::string out;
  for (std::size_t c = 0; c < r.columns().size(); ++c)
    out += (c == 0 ? "" : ", ") + r.columns()[c] + '=' + r.at(0, c).value_or("NULL");
  if (r.rows() > 1)
    out += " (+" + std::to_string(r.rows() - 1) + " rows)";
  return out;
}

std::string joined(const std::vector<sql_param>& params) {
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i)
    out += (i == 0 ? "" : ", ") + params[i].value_or("NULL");
  return out;
}

} // namespace

std::string statement_label(const char* sql) {
  auto words = words_of(sql);
  if (words.empty())
    return "(empty)";
  auto verb = upper(words[0]);
  auto text = upper(sql);
  if (verb == "BEGIN" || verb == "START") {
    for (const char* level : {"SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED"})
      if (text.find(level) != std::string::npos)
        return std::string{"BEGIN "} + level;
    return "BEGIN";
  }
  if (verb == "SELECT") {
    auto label = with_table(verb, word_after(words, "FROM"));
    return text.find("FOR UPDATE") != std::string::npos ? label + " (lock)" : label;
  }
  if (verb == "UPDATE")
    return with_table(verb, words.size() > 1 ? words[1] : "");
  if (verb == "INSERT")
    return with_table(verb, word_after(words, "INTO"));
  if (verb == "DELETE")
    return with_table(verb, word_after(words, "FROM"));
  return verb;
}

std::string statement_value(const char* sql, const std::vector<sql_param>& params,
                            const pg_result& result) {
  auto verb = upper(words_of(sql).empty() ? std::string{} : words_of(sql)[0]);
  auto rows_text = [&] {
    return std::to_string(result.affected()) + (result.affected() == 1 ? " row" : " rows");
  };
  if (verb == "SELECT")
    return first_row(result);
  if (verb == "UPDATE")
    return result.affected() == 0 ? rows_text() : update_value(sql, params);
  if (verb == "INSERT")
    return result.affected() == 0 ? rows_text() : joined(params);
  if (verb == "DELETE")
    return rows_text();
  if (verb == "COMMIT" || verb == "END")
    return result.tag() == "ROLLBACK" ? "rolled back" : "";
  return {};
}

std::string error_value(const std::string& sqlstate) {
  if (sqlstate == "40001")
    return "40001 conflict";
  if (sqlstate == "40P01")
    return "40P01 deadlock";
  if (sqlstate == "23505")
    return "23505 duplicate";
  if (sqlstate == "25P02")
    return "25P02 txn aborted";
  return "error " + sqlstate;
}

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return text.substr(0, end);
}

} // namespace dca::services
