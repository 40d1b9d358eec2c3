#pragma once

// The multipart/form-data body of an upload, read as it arrives: the file part is handed
// to the caller as a stream (it goes straight to storage), a small title part is kept,
// anything else is skipped. Both functions throw errors::Error naming the field.

#include <functional>
#include <istream>
#include <optional>
#include <string>

#include "http/body_stream.hpp"

namespace sloth::knowledge {

constexpr std::size_t kMaxTitleBytes = 1200;  // 300 characters of any script
constexpr int kMaxParts = 16;

// The boundary from a Content-Type header (415 when it is not multipart/form-data).
std::string FormBoundary(const std::optional<std::string>& content_type);

// Reads the form; `on_file` gets the file part's filename and bytes (once: a second file
// part is refused). Returns the title ("" when none). Refuses a body that ends before its
// closing boundary, and a form without a file.
std::string ReadUploadForm(
    http::BodyStream& body, const std::string& boundary,
    const std::function<void(const std::string& filename, std::istream& part)>& on_file);

}  // namespace sloth::knowledge
