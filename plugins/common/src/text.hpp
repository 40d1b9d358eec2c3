#pragma once

// Text helpers the plugins share. Outgoing text for messaging channels: HTML-escaped (Telegram
// parse_mode=HTML), and split into messages of at most `limit` characters (Unicode code points),
// preferring a paragraph break, then a line break, then a sentence end, then a space — never inside
// a UTF-8 sequence.

#include <string>
#include <string_view>
#include <vector>

namespace sloth_plugins {

std::string EscapeHtml(std::string_view text);
// Standard base64 (RFC 4648, padded): how media bytes travel inside event JSON.
std::string Base64(std::string_view bytes);
std::vector<std::string> SplitText(std::string_view text, std::size_t limit = 4096);
// A configured API base URL without trailing slashes, so paths can be appended with "/".
std::string BaseUrl(std::string url);

}  // namespace sloth_plugins
