// JSON, the one machine format between dca and the programs it runs (the exercise programs'
// `--format json`, the build's compile_commands.json) and of every report dca writes with
// `--format json`. One writer of strings and one reader of documents, so every report escapes the
// same way and no command re-parses human text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dca {

/// `s` as a JSON string literal, quotes included: control characters escaped, valid UTF-8 passed
/// through, and each byte that is not valid UTF-8 replaced by U+FFFD (so the document stays valid
/// whatever a learner's program printed).
std::string json_quoted(const std::string& s);

/// json_quoted without the quotes, for a writer that puts them around it itself.
std::string json_escaped(const std::string& s);

/// One parsed JSON value. Numbers keep their text, so a 64-bit seed reads back exactly.
struct json_value {
  enum class kind { null, boolean, number, string, array, object };
  json_value::kind type = kind::null;
  bool boolean = false;
  std::string text; // a string's value, or a number's digits
  std::vector<json_value> items;
  std::vector<std::pair<std::string, json_value>> members;

  /// The member called `key` of an object, or null.
  const json_value* find(const std::string& key) const;
  /// The string member `key`, or `fallback` when it is absent or not a string.
  std::string string_at(const std::string& key, const std::string& fallback = {}) const;
  /// The number member `key` as an integer, or `fallback`.
  std::int64_t integer_at(const std::string& key, std::int64_t fallback = 0) const;
  /// The boolean member `key`, or `fallback`.
  bool boolean_at(const std::string& key, bool fallback = false) const;
};

/// Parses one JSON document. On malformed input: nullopt, and `error` says where and why.
std::optional<json_value> parse_json(const std::string& text, std::string& error);

/// The last line of a program's output that parses as a JSON object: the report a program printed
/// with --format json, even when a library wrote a warning to the same stream before it.
std::optional<json_value> last_json_object(const std::string& output);

} // namespace dca
