#include "http/body_stream.hpp"

#include <algorithm>
#include <string>

namespace sloth::http {

BodyStream::BodyStream(std::istream& source, std::int64_t limit)
    : std::istream(nullptr), buf_(source, limit) {
  rdbuf(&buf_);
}

BodyStream::Buf::int_type BodyStream::Buf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (too_large || drained) return traits_type::eof();
  constexpr std::size_t kKeep = 256;
  before.append(data, static_cast<std::size_t>(filled));
  if (before.size() > kKeep) before.erase(0, before.size() - kKeep);
  filled = 0;
  // One byte past the limit is enough to know the body is too large.
  const auto room = std::min<std::int64_t>(sizeof data, limit - count + 1);
  source.read(data, room);
  auto n = source.gcount();
  if (n <= 0) {
    drained = true;
    return traits_type::eof();
  }
  if (count + n > limit) {
    too_large = true;
    n = limit - count;
    if (n <= 0) return traits_type::eof();
  }
  count += n;
  filled = n;
  setg(data, data, data + n);
  return traits_type::to_int_type(*gptr());
}

std::string BodyStream::tail() const {
  return buf_.before + std::string(buf_.data, buf_.data + buf_.filled);
}

}  // namespace sloth::http
