#include "knowledge/office.hpp"

#include <Poco/MemoryStream.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/LexicalHandler.h>
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

// SAX with callbacks on local names; refuses DTDs, runaway nesting and documents past their
// time budget. The DOCTYPE check is the parser's (after decoding): a byte search for
// "<!DOCTYPE" misses a part declared as UTF-16.
struct Handler : Poco::XML::ContentHandler, Poco::XML::LexicalHandler {
  explicit Handler(const TextBudget& budget) : budget_(budget) {}
  std::function<void(const std::string&, const Poco::XML::Attributes&)> start;
  std::function<void(const std::string&)> end;
  std::function<void(const char*, int)> text;
  int depth = 0;

  void setDocumentLocator(const Poco::XML::Locator*) override {}
  void startDocument() override {}
  void endDocument() override {}
  void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString& local,
                    const Poco::XML::XMLString&, const Poco::XML::Attributes& attrs) override {
    if (++depth > budget_.limits().max_depth)
      throw ParseError("the document's XML is nested too deeply");
    budget_.CheckTime();
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

  void startDTD(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                const Poco::XML::XMLString&) override {
    throw ParseError("the document's XML declares a DOCTYPE, which Office files never do");
  }
  void endDTD() override {}
  void startEntity(const Poco::XML::XMLString&) override {}
  void endEntity(const Poco::XML::XMLString&) override {}
  void startCDATA() override {}
  void endCDATA() override {}
  void comment(const Poco::XML::XMLChar[], int, int) override {}

 private:
  const TextBudget& budget_;
};

void ParseXml(std::istream& xml, Handler& h) {
  Poco::XML::SAXParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
  parser.setContentHandler(&h);
  parser.setProperty(Poco::XML::XMLReader::PROPERTY_LEXICAL_HANDLER,
                     static_cast<Poco::XML::LexicalHandler*>(&h));
  try {
    Poco::XML::InputSource source(xml);
    parser.parse(&source);
  } catch (const Poco::Exception& e) {
    throw ParseError("the document's XML is damaged (" + e.displayText() + ")");
  }
}

// An entry's bytes as they inflate, counted against the limits: declared sizes can lie.
// A limit ends the stream (the parser then reports a damaged document) and records the
// reason, which is what the caller reports.
class LimitedEntry final : public std::streambuf {
 public:
  LimitedEntry(std::istream& zip, const Poco::Zip::ZipLocalFileHeader& header,
               const ParseLimits& limits, std::size_t& total)
      : zin_(zip, header, true),
        packed_(std::max<std::size_t>(1, header.getCompressedSize())),
        limits_(limits),
        total_(total) {}

  const std::string& refusal() const { return refusal_; }

 protected:
  int_type underflow() override {
    if (!refusal_.empty()) return traits_type::eof();
    try {
      zin_.read(buf_, sizeof buf_);
    } catch (const Poco::Exception& e) {
      refusal_ = "a part of the document is damaged (" + e.displayText() + ")";
      return traits_type::eof();
    }
    const auto n = static_cast<std::size_t>(zin_.gcount());
    if (n == 0) return traits_type::eof();
    size_ += n;
    total_ += n;
    if (size_ > limits_.max_entry_bytes || total_ > limits_.max_total_bytes ||
        (size_ > (1u << 20) && size_ / packed_ > limits_.max_ratio)) {
      refusal_ = "the document expands far beyond its size (a zip bomb?)";
      return traits_type::eof();
    }
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  Poco::Zip::ZipInputStream zin_;
  std::size_t packed_;
  const ParseLimits& limits_;
  std::size_t& total_;
  std::size_t size_ = 0;
  std::string refusal_;
  char buf_[65536];
};

// The entries of an archive, read only within the limits. The file is read in place and
// each XML part is parsed as it inflates, so a part never sits in memory whole.
class Archive {
 public:
  Archive(const std::string& data, const ParseLimits& limits)
      : in_(data.data(), data.size()), limits_(limits) {
    try {
      archive_ = std::make_unique<Poco::Zip::ZipArchive>(in_);
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

  // Parses entry `name` with `h`.
  template <typename H>
  void Parse(const std::string& name, H& h) {
    const auto it = archive_->findHeader(name);
    if (it == archive_->headerEnd()) throw ParseError("the document has no " + name);
    if (it->second.isEncrypted()) throw ParseError("the document is password-protected");
    in_.clear();
    std::unique_ptr<LimitedEntry> entry;
    try {
      entry = std::make_unique<LimitedEntry>(in_, it->second, limits_, total_);
    } catch (const Poco::Exception& e) {
      throw ParseError("a part of the document is damaged (" + e.displayText() + ")");
    }
    std::istream xml(entry.get());
    try {
      ParseXml(xml, h);
    } catch (const ParseError&) {
      if (!entry->refusal().empty()) throw ParseError(entry->refusal());
      throw;
    }
    if (!entry->refusal().empty()) throw ParseError(entry->refusal());
  }

 private:
  Poco::MemoryInputStream in_;
  ParseLimits limits_;
  std::unique_ptr<Poco::Zip::ZipArchive> archive_;
  std::size_t total_ = 0;
};

}  // namespace

std::vector<Section> ParseDocx(const std::string& data, const ParseLimits& limits) {
  TextBudget budget(limits);
  Archive zip(data, limits);
  // Paragraphs end lines; the cells of a table row are joined with " | " on one line.
  std::string text;
  bool in_t = false;
  int cell = -1;  // index of the cell in the current row, -1 outside tables
  Handler h(budget);
  h.start = [&](const std::string& n, const Poco::XML::Attributes&) {
    if (n == "t") {
      in_t = true;
    } else if (n == "tab") {
      budget.Append(text, "\t");
    } else if (n == "br" || n == "cr") {
      budget.Append(text, cell >= 0 ? " " : "\n");
    } else if (n == "tr") {
      cell = 0;
    } else if (n == "tc") {
      if (cell > 0) budget.Append(text, " | ");
    }
  };
  h.end = [&](const std::string& n) {
    if (n == "t") {
      in_t = false;
    } else if (n == "p") {
      budget.Append(text, cell >= 0 ? " " : "\n");
    } else if (n == "tc") {
      while (!text.empty() && text.back() == ' ') text.pop_back();
      ++cell;
    } else if (n == "tr") {
      budget.Append(text, "\n");
      cell = -1;
    }
  };
  h.text = [&](const char* s, int len) {
    if (in_t) budget.Append(text, std::string_view(s, static_cast<std::size_t>(len)));
  };
  zip.Parse("word/document.xml", h);
  if (text.find_first_not_of(" \t\n|") == std::string::npos)
    throw ParseError("the document contains no text");
  return {{text, "", 0}};
}

std::vector<Section> ParseXlsx(const std::string& data, const ParseLimits& limits) {
  TextBudget budget(limits);
  Archive zip(data, limits);
  // Shared strings: cells of type "s" hold an index into them.
  std::vector<std::string> strings;
  if (zip.Has("xl/sharedStrings.xml")) {
    std::string cur;
    bool in_si = false, in_t = false;
    Handler h(budget);
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
        in_si = false, budget.Hold(cur.size()), strings.push_back(cur);
    };
    h.text = [&](const char* s, int len) {
      if (in_si && in_t) cur.append(s, static_cast<std::size_t>(len));
    };
    zip.Parse("xl/sharedStrings.xml", h);
  }
  // Sheet names and their parts, through the workbook's relationships.
  std::vector<std::pair<std::string, std::string>> sheets;  // (name, relationship id)
  {
    Handler h(budget);
    h.start = [&](const std::string& n, const Poco::XML::Attributes& a) {
      if (n != "sheet") return;
      std::string rid;
      for (int i = 0; i < a.getLength(); ++i)
        if (a.getLocalName(i) == "id") rid = a.getValue(i);
      sheets.emplace_back(a.getValue("", "name"), rid);
    };
    zip.Parse("xl/workbook.xml", h);
  }
  std::map<std::string, std::string> targets;
  if (zip.Has("xl/_rels/workbook.xml.rels")) {
    Handler h(budget);
    h.start = [&](const std::string& n, const Poco::XML::Attributes& a) {
      if (n == "Relationship") targets[a.getValue("", "Id")] = a.getValue("", "Target");
    };
    zip.Parse("xl/_rels/workbook.xml.rels", h);
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
    // The sheet's text starts with its title, which the part's count includes.
    std::string text = "Sheet " + name + "\n", row, value, type;
    const std::size_t title = text.size();
    bool in_v = false, in_t = false;
    Handler h(budget);
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
        if (!cell.empty()) {
          // Counted cell by cell: one row can reference a long string thousands of times.
          if (!row.empty()) budget.Append(row, " | ");
          budget.Append(row, cell);
          if (row.size() + text.size() > limits.max_part_text_bytes)
            throw ParseError("a sheet holds more than " +
                             std::to_string(limits.max_part_text_bytes) + " bytes of text");
        }
      } else if (n == "row") {
        if (!row.empty()) text.append(row).push_back('\n');
        row.clear();
      }
    };
    h.text = [&](const char* s, int len) {
      if (in_v || in_t) value.append(s, static_cast<std::size_t>(len));
      if (value.size() > limits.max_part_text_bytes)
        throw ParseError("a cell holds more than " + std::to_string(limits.max_part_text_bytes) +
                         " bytes of text");
    };
    zip.Parse(target, h);
    if (text.size() > title) out.push_back({std::move(text), "sheet " + name, index});
  }
  if (out.empty()) throw ParseError("the workbook contains no values");
  return out;
}

}  // namespace sloth::knowledge
