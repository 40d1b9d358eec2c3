#include "knowledge/office.hpp"

#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/SAXParser.h>
#include <Poco/XML/XMLException.h>
#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipException.h>
#include <Poco/Zip/ZipStream.h>

#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "knowledge/parsers.hpp"

namespace sloth::knowledge {
namespace {

// The entries of an archive, read only within the limits.
class Archive {
 public:
  Archive(const std::string& data, const OfficeLimits& limits) : data_(data), limits_(limits) {
    std::istringstream in(data_);
    try {
      archive_ = std::make_unique<Poco::Zip::ZipArchive>(in);
    } catch (const Poco::Exception& e) {
      throw ParseError("the file is not a readable Office document (" + e.displayText() + ")");
    }
    std::size_t n = 0;
    for (auto it = archive_->headerBegin(); it != archive_->headerEnd(); ++it) {
      if (++n > limits_.max_entries) throw ParseError("the document has too many parts");
    }
  }

  bool Has(const std::string& name) const {
    return archive_->findHeader(name) != archive_->headerEnd();
  }

  std::string Read(const std::string& name) {
    const auto it = archive_->findHeader(name);
    if (it == archive_->headerEnd()) throw ParseError("the document has no " + name);
    if (it->second.isEncrypted()) throw ParseError("the document is password-protected");
    std::istringstream in(data_);
    std::string out;
    try {
      Poco::Zip::ZipInputStream zin(in, it->second, true);
      char buf[65536];
      // Declared sizes can lie: count what actually comes out.
      while (zin.read(buf, sizeof buf) || zin.gcount() > 0) {
        out.append(buf, static_cast<std::size_t>(zin.gcount()));
        total_ += static_cast<std::size_t>(zin.gcount());
        const std::size_t packed = std::max<std::size_t>(1, it->second.getCompressedSize());
        if (out.size() > limits_.max_entry_bytes || total_ > limits_.max_total_bytes ||
            (out.size() > (1u << 20) && out.size() / packed > limits_.max_ratio)) {
          throw ParseError("the document expands far beyond its size (a zip bomb?)");
        }
      }
    } catch (const Poco::Exception& e) {
      throw ParseError("a part of the document is damaged (" + e.displayText() + ")");
    }
    return out;
  }

 private:
  const std::string& data_;
  OfficeLimits limits_;
  std::unique_ptr<Poco::Zip::ZipArchive> archive_;
  std::size_t total_ = 0;
};

// SAX with callbacks on local names; refuses DTDs and runaway nesting.
struct Handler : Poco::XML::ContentHandler {
  std::function<void(const std::string&, const Poco::XML::Attributes&)> start;
  std::function<void(const std::string&)> end;
  std::function<void(const char*, int)> text;
  int depth = 0, max_depth = 256;

  void setDocumentLocator(const Poco::XML::Locator*) override {}
  void startDocument() override {}
  void endDocument() override {}
  void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString& local,
                    const Poco::XML::XMLString&, const Poco::XML::Attributes& attrs) override {
    if (++depth > max_depth) throw ParseError("the document's XML is nested too deeply");
    if (start) start(local, attrs);
  }
  void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString& local,
                  const Poco::XML::XMLString&) override {
    --depth;
    if (end) end(local);
  }
  void characters(const Poco::XML::XMLChar ch[], int start_at, int length) override {
    if (text) text(ch + start_at, length);
  }
  void ignorableWhitespace(const Poco::XML::XMLChar[], int, int) override {}
  void processingInstruction(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
  void startPrefixMapping(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
  void endPrefixMapping(const Poco::XML::XMLString&) override {}
  void skippedEntity(const Poco::XML::XMLString&) override {}
};

void ParseXml(const std::string& xml, Handler& h, const OfficeLimits& limits) {
  if (xml.find("<!DOCTYPE") != std::string::npos || xml.find("<!ENTITY") != std::string::npos)
    throw ParseError("the document's XML declares entities, which Office files never do");
  h.max_depth = limits.max_depth;
  Poco::XML::SAXParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
  parser.setContentHandler(&h);
  try {
    parser.parseMemoryNP(xml.data(), xml.size());
  } catch (const Poco::Exception& e) {
    throw ParseError("the document's XML is damaged (" + e.displayText() + ")");
  }
}

}  // namespace

std::vector<Section> ParseDocx(const std::string& data, const OfficeLimits& limits) {
  Archive zip(data, limits);
  const std::string xml = zip.Read("word/document.xml");
  // Paragraphs end lines; the cells of a table row are joined with " | " on one line.
  std::string text;
  bool in_t = false;
  int cell = -1;  // index of the cell in the current row, -1 outside tables
  Handler h;
  h.start = [&](const std::string& n, const Poco::XML::Attributes&) {
    if (n == "t") {
      in_t = true;
    } else if (n == "tab") {
      text += '\t';
    } else if (n == "br" || n == "cr") {
      text += cell >= 0 ? ' ' : '\n';
    } else if (n == "tr") {
      cell = 0;
    } else if (n == "tc") {
      if (cell > 0) text += " | ";
    }
  };
  h.end = [&](const std::string& n) {
    if (n == "t") {
      in_t = false;
    } else if (n == "p") {
      text += cell >= 0 ? ' ' : '\n';
    } else if (n == "tc") {
      while (!text.empty() && text.back() == ' ') text.pop_back();
      ++cell;
    } else if (n == "tr") {
      text += '\n';
      cell = -1;
    }
  };
  h.text = [&](const char* s, int len) {
    if (in_t) text.append(s, static_cast<std::size_t>(len));
  };
  ParseXml(xml, h, limits);
  if (text.find_first_not_of(" \t\n|") == std::string::npos)
    throw ParseError("the document contains no text");
  return {{text, "", 0}};
}

std::vector<Section> ParseXlsx(const std::string& data, const OfficeLimits& limits) {
  Archive zip(data, limits);
  // Shared strings: cells of type "s" hold an index into them.
  std::vector<std::string> strings;
  if (zip.Has("xl/sharedStrings.xml")) {
    std::string cur;
    bool in_si = false, in_t = false;
    Handler h;
    h.start = [&](const std::string& n, const Poco::XML::Attributes&) {
      if (n == "si")
        in_si = true, cur.clear();
      else if (n == "t")
        in_t = true;
    };
    h.end = [&](const std::string& n) {
      if (n == "t")
        in_t = false;
      else if (n == "si")
        in_si = false, strings.push_back(cur);
    };
    h.text = [&](const char* s, int len) {
      if (in_si && in_t) cur.append(s, static_cast<std::size_t>(len));
    };
    ParseXml(zip.Read("xl/sharedStrings.xml"), h, limits);
  }
  // Sheet names and their parts, through the workbook's relationships.
  std::vector<std::pair<std::string, std::string>> sheets;  // (name, relationship id)
  {
    Handler h;
    h.start = [&](const std::string& n, const Poco::XML::Attributes& a) {
      if (n != "sheet") return;
      std::string rid;
      for (int i = 0; i < a.getLength(); ++i)
        if (a.getLocalName(i) == "id") rid = a.getValue(i);
      sheets.emplace_back(a.getValue("", "name"), rid);
    };
    ParseXml(zip.Read("xl/workbook.xml"), h, limits);
  }
  std::map<std::string, std::string> targets;
  if (zip.Has("xl/_rels/workbook.xml.rels")) {
    Handler h;
    h.start = [&](const std::string& n, const Poco::XML::Attributes& a) {
      if (n == "Relationship") targets[a.getValue("", "Id")] = a.getValue("", "Target");
    };
    ParseXml(zip.Read("xl/_rels/workbook.xml.rels"), h, limits);
  }
  std::vector<Section> out;
  int index = 0;
  for (const auto& [name, rid] : sheets) {
    ++index;
    std::string target =
        targets.count(rid) ? targets[rid] : "worksheets/sheet" + std::to_string(index) + ".xml";
    if (!target.empty() && target[0] == '/')
      target = target.substr(1);
    else
      target = "xl/" + target;
    if (!zip.Has(target)) continue;
    std::string text, row, value, type;
    bool in_v = false, in_t = false;
    Handler h;
    h.start = [&](const std::string& n, const Poco::XML::Attributes& a) {
      if (n == "c")
        type = a.getValue("", "t"), value.clear();
      else if (n == "v")
        in_v = true;
      else if (n == "t")
        in_t = true;
    };
    h.end = [&](const std::string& n) {
      if (n == "v")
        in_v = false;
      else if (n == "t")
        in_t = false;
      else if (n == "c") {
        std::string cell = value;
        if (type == "s") {
          try {
            const auto k = static_cast<std::size_t>(std::stoul(value));
            cell = k < strings.size() ? strings[k] : "";
          } catch (const std::exception&) {
            cell.clear();
          }
        }
        if (!cell.empty()) row += (row.empty() ? "" : " | ") + cell;
      } else if (n == "row") {
        if (!row.empty()) text += row + "\n";
        row.clear();
      }
    };
    h.text = [&](const char* s, int len) {
      if (in_v || in_t) value.append(s, static_cast<std::size_t>(len));
    };
    ParseXml(zip.Read(target), h, limits);
    if (!text.empty()) out.push_back({"Sheet " + name + "\n" + text, "sheet " + name, index});
  }
  if (out.empty()) throw ParseError("the workbook contains no values");
  return out;
}

}  // namespace sloth::knowledge
