#pragma once

// A request body read as it arrives, for routes that take uploads (RouteOptions::
// stream_body): memory stays flat however large the upload. It reads as ended after
// `limit` bytes; too_large() then tells a short body from an oversized one.

#include <cstdint>
#include <istream>
#include <streambuf>
#include <string>

namespace sloth::http {

class BodyStream : public std::istream {
 public:
  BodyStream(std::istream& source, std::int64_t limit);

  bool too_large() const { return buf_.too_large; }
  // The source said end of body: the connection is ready for its next request.
  bool drained() const { return buf_.drained; }
  std::int64_t bytes_read() const { return buf_.count; }
  // The last bytes taken from the source (at least 256 unless fewer arrived): where a
  // format's end marker must be when the body was complete (multipart's closing boundary),
  // since an HTTP body cut off by a dropped connection otherwise just reads as ended.
  std::string tail() const;

 private:
  struct Buf : std::streambuf {
    Buf(std::istream& in, std::int64_t max) : source(in), limit(max) {}
    int_type underflow() override;
    std::istream& source;
    std::int64_t limit;
    std::int64_t count = 0;
    bool too_large = false;
    bool drained = false;
    char data[64 * 1024];
    std::int64_t filled = 0;  // bytes of `data` from the last read
    std::string before;       // the end of the block before it
  };
  Buf buf_;
};

}  // namespace sloth::http
