#include "knowledge/upload_form.hpp"

#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/MultipartReader.h>
#include <Poco/Net/NameValueCollection.h>

#include <limits>

#include "errors/error.hpp"
#include "knowledge/chunker.hpp"

namespace sloth::knowledge {

std::string FormBoundary(const std::optional<std::string>& type) {
  if (!type || type->find("multipart/form-data") == std::string::npos)
    throw errors::Error(errors::Code::kUnsupportedMediaType,
                        "send multipart/form-data with a file part", "file");
  std::string boundary;
  try {
    std::string value;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(*type, value, params);
    boundary = params.get("boundary", "");
  } catch (const std::exception&) {
  }
  if (boundary.empty())
    throw errors::Error(errors::Code::kInvalidArgument, "the multipart boundary is missing",
                        "file");
  return boundary;
}

std::string ReadUploadForm(
    http::BodyStream& body, const std::string& boundary,
    const std::function<void(const std::string& filename, std::istream& part)>& on_file) {
  std::string title;
  bool file = false;
  try {
    Poco::Net::MultipartReader reader(body, boundary);
    int parts = 0;
    while (reader.hasNextPart()) {
      // Poco's reader never stops at the end of a body without its closing boundary: it
      // yields empty parts forever (found by fuzzing). A part past the body's end, or more
      // parts than any upload form has, ends the loop; the tail check then answers.
      if (++parts > kMaxParts)
        throw errors::Error(errors::Code::kInvalidArgument,
                            "the form has more than " + std::to_string(kMaxParts) + " parts",
                            "file");
      Poco::Net::MessageHeader h;
      reader.nextPart(h);
      if (h.empty() && body.drained()) break;
      std::string disposition;
      Poco::Net::NameValueCollection params;
      Poco::Net::MessageHeader::splitParameters(h.get("Content-Disposition", ""), disposition,
                                                params);
      const std::string name = params.get("name", "");
      auto& part = reader.stream();
      if (name == "file") {
        if (file)
          throw errors::Error(errors::Code::kInvalidArgument, "send one file per upload", "file");
        file = true;
        on_file(params.get("filename", ""), part);
      } else if (name == "title") {
        std::string t(kMaxTitleBytes + 1, '\0');
        part.read(t.data(), static_cast<std::streamsize>(t.size()));
        t.resize(static_cast<std::size_t>(part.gcount()));
        if (t.size() > kMaxTitleBytes || !ValidUtf8(t))
          throw errors::Error(errors::Code::kInvalidArgument,
                              "the title must be UTF-8 text of at most " +
                                  std::to_string(kMaxTitleBytes) + " bytes",
                              "title");
        title = std::move(t);
      }
      part.ignore(std::numeric_limits<std::streamsize>::max());
    }
    // The reader also stops when the connection drops mid-part; only the closing boundary
    // says the body is whole.
    if (body.tail().find("--" + boundary + "--") == std::string::npos)
      throw errors::Error(errors::Code::kInvalidArgument,
                          "the body ended before the closing multipart boundary", "file");
  } catch (const Poco::Exception& e) {
    throw errors::Error(errors::Code::kInvalidArgument,
                        "malformed multipart body: " + e.displayText(), "file");
  }
  if (!file)
    throw errors::Error(errors::Code::kInvalidArgument, "the form has no file part", "file");
  return title;
}

}  // namespace sloth::knowledge
