#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace sloth::log {

// Installs the process-wide default logger: text lines or JSON lines on stderr, at `level`.
// Throws std::invalid_argument for an unknown level or format.
void Setup(const std::string& level, const std::string& format);

// A named logger sharing the default sinks and format ("http", "db", "plugins", ...).
std::shared_ptr<spdlog::logger> Get(const std::string& name);

// `value` made safe for one field of a text log line: control characters, spaces, quotes and
// backslashes become \xNN, so input (a decoded %0a in a path) cannot forge or split a line.
std::string Field(std::string_view value);

}  // namespace sloth::log
