// Small text helpers the commands share: reading a file whole or by lines, fitting text into a
// terminal column (counting UTF-8 characters, not bytes), and quoting or splitting words as
// /bin/sh does.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace dca::cli {

/// The file's bytes; empty when it cannot be read.
std::string read_text(const std::filesystem::path& file);

/// The file's lines, without their line ends; empty when it cannot be read.
std::vector<std::string> lines_of(const std::filesystem::path& file);

/// The last line of a program's output, without its line end: the one-line error it printed.
std::string last_output_line(const std::string& output);

/// `s` in a column of `width` characters: padded, or cut with "..." so that one space always
/// follows. Counts UTF-8 characters, so "—" takes one column.
std::string fit_columns(const std::string& s, std::size_t width);

/// `s` as XML or HTML text or attribute value: <, >, & and " escaped, control characters other
/// than newline and tab dropped (XML cannot carry them).
std::string markup_escaped(const std::string& s);

/// `s` as one /bin/sh word: unchanged when it is safe, else in single quotes.
std::string shell_quote(const std::string& s);

/// 128 bits from std::random_device as 32 lowercase hex digits: a grading run's nonce, a slot's
/// password.
std::string random_hex();

/// Splits a command line as /bin/sh would (quotes and backslashes; no expansions).
std::vector<std::string> shell_words(const std::string& line);

} // namespace dca::cli
