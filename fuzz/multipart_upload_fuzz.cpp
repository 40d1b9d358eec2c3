// An upload body as the host reads it: through the body limit, the multipart reader and the
// title's checks; the file part is drained as storage would.
#include <cstdint>
#include <sstream>
#include <string>

#include "errors/error.hpp"
#include "http/body_stream.hpp"
#include "knowledge/upload_form.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  sloth::http::BodyStream body(in, 64 * 1024);
  try {
    const std::string boundary =
        sloth::knowledge::FormBoundary(std::string("multipart/form-data; boundary=XyZ"));
    (void)sloth::knowledge::ReadUploadForm(
        body, boundary, [](const std::string&, std::istream& part) {
          char buf[4096];
          while (part.read(buf, sizeof buf) || part.gcount() > 0) {
          }
        });
  } catch (const sloth::errors::Error&) {
    // refused with a field and a reason: what the route answers
  }
  return 0;
}
