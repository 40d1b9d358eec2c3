#include "support/hostile_files.hpp"

#include <Poco/DeflatingStream.h>
#include <Poco/Zip/Compress.h>

#include <random>
#include <sstream>

namespace sloth::testing {
namespace {

const std::string kSheetNs =
    R"( xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships")";

std::string Deflate(const std::string& data) {
  std::ostringstream out;
  Poco::DeflatingOutputStream z(out, Poco::DeflatingStreamBuf::STREAM_ZLIB, 9);
  z.write(data.data(), static_cast<std::streamsize>(data.size()));
  z.close();
  return out.str();
}

// Objects in order (1-based), with a cross-reference table and trailer.
std::string Pdf(const std::vector<std::string>& objects) {
  std::string out = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (const auto off : offsets) {
    std::string n = std::to_string(off);
    out += std::string(10 - n.size(), '0') + n + " 00000 n \n";
  }
  out += "trailer\n<</Size " + std::to_string(objects.size() + 1) + "/Root 1 0 R>>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

const std::string kFont = "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>";

}  // namespace

std::string ZipOf(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::ostringstream out;
  Poco::Zip::Compress c(out, true);
  for (const auto& [name, content] : entries) {
    std::istringstream in(content);
    c.addFile(in, Poco::DateTime(), Poco::Path(name, Poco::Path::PATH_UNIX));
  }
  c.close();
  return out.str();
}

std::string XlsxAmplification(std::size_t string_bytes, std::size_t cells) {
  std::string sheet = "<worksheet" + kSheetNs + "><sheetData>";
  // 100 cells a row, each pointing at shared string 0.
  for (std::size_t i = 0; i < cells; ++i) {
    if (i % 100 == 0) sheet += i ? "</row><row>" : "<row>";
    sheet += R"(<c t="s"><v>0</v></c>)";
  }
  sheet += "</row></sheetData></worksheet>";
  return ZipOf(
      {{"xl/workbook.xml",
        "<workbook" + kSheetNs +
            R"(><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>)"},
       {"xl/_rels/workbook.xml.rels",
        R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>)"},
       {"xl/sharedStrings.xml",
        "<sst" + kSheetNs + "><si><t>" + std::string(string_bytes, 'x') + "</t></si></sst>"},
       {"xl/worksheets/sheet1.xml", sheet}});
}

std::string DocxAmplification(std::size_t text_bytes) {
  std::mt19937 rng(7);
  std::vector<std::string> words;
  for (int i = 0; i < 4000; ++i) {
    std::string w;
    for (int k = 0; k < 3 + static_cast<int>(rng() % 8); ++k)
      w += static_cast<char>('a' + rng() % 26);
    words.push_back(w);
  }
  std::string xml =
      R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)";
  while (xml.size() < text_bytes) {
    xml += "<w:p><w:r><w:t>";
    for (int k = 0; k < 40; ++k) xml += words[rng() % words.size()] + ' ';
    xml += "</w:t></w:r></w:p>";
  }
  xml += "</w:body></w:document>";
  return ZipOf({{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", xml}});
}

std::string PdfAmplification(std::size_t text_bytes) {
  // Lines of 1-point text down columns of a 200-inch page: all of it is on the page, so
  // all of it is extracted.
  std::string content = "BT /F1 1 Tf\n";
  for (int n = 0; content.size() < text_bytes; ++n) {
    if (n % 240 == 0) content += "1 0 0 1 " + std::to_string(n / 240 * 140) + " 499 Tm\n";
    content += "0 -2 Td (line " + std::to_string(n) + ' ' + std::string(190, 'A') + ") Tj\n";
  }
  content += "ET\n";
  const std::string z = Deflate(content);
  return Pdf({"<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[3 0 R]/Count 1>>",
              "<</Type/Page/Parent 2 0 R/MediaBox[0 0 14400 14400]/Contents 4 0 R"
              "/Resources<</Font<</F1 5 0 R>>>>>>",
              "<</Length " + std::to_string(z.size()) + "/Filter/FlateDecode>>stream\n" + z +
                  "\nendstream",
              kFont});
}

std::string PdfPages(int pages, const std::string& text) {
  const std::string content = "BT /F1 12 Tf 10 50 Td (" + text + ") Tj ET";
  std::vector<std::string> objects = {
      "<</Type/Catalog/Pages 2 0 R>>", "", kFont,
      "<</Length " + std::to_string(content.size()) + ">>stream\n" + content + "\nendstream"};
  std::string kids;
  for (int i = 0; i < pages; ++i) {
    kids += std::to_string(objects.size() + 1) + " 0 R ";
    objects.push_back(
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 100]/Contents 4 0 R"
        "/Resources<</Font<</F1 3 0 R>>>>>>");
  }
  objects[1] = "<</Type/Pages/Kids[" + kids + "]/Count " + std::to_string(pages) + ">>";
  return Pdf(objects);
}

std::string Utf16(const std::string& xml) {
  std::string out = "\xFF\xFE";
  for (const char c : xml) {
    out += c;
    out += '\0';
  }
  return out;
}

}  // namespace sloth::testing
