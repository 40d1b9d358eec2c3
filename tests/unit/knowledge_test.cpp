// Chunking, document formats and office parsing: pure functions.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include "errors/error.hpp"
#include "http/body_stream.hpp"
#include "knowledge/chunker.hpp"
#include "knowledge/office.hpp"
#include "knowledge/parsers.hpp"
#include "knowledge/upload_form.hpp"
#include "support/hostile_files.hpp"

namespace sloth::knowledge {
namespace {

TEST(Chunker, SizesOverlapAndBoundaries) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "Sentence " + std::to_string(i) + " about gel nails. ";
  const auto chunks = ChunkSections({{text, "page 2", 2}}, {300, 60});
  ASSERT_GT(chunks.size(), 3u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].text.size(), 300u);
    EXPECT_EQ(chunks[i].page, 2);
    EXPECT_EQ(chunks[i].position, static_cast<int>(i));
    if (i + 1 < chunks.size()) {
      EXPECT_EQ(chunks[i].text.back(), '.');  // a sentence end
    }
  }
  // Consecutive chunks share text (the overlap).
  const std::string tail = chunks[0].text.substr(chunks[0].text.size() - 20);
  EXPECT_NE(chunks[1].text.find(tail.substr(tail.find(' ') + 1)), std::string::npos);
}

TEST(Chunker, NeverSplitsAUtf8Sequence) {
  std::string uk;
  for (int i = 0; i < 3000; ++i) uk += "ї";  // no boundaries at all
  const auto chunks = ChunkSections({{uk, "", 0}}, {1000, 200});
  ASSERT_GE(chunks.size(), 3u);
  for (const auto& c : chunks) {
    EXPECT_TRUE(ValidUtf8(c.text));
    EXPECT_EQ(c.text.size() % 2, 0u);
  }
  EXPECT_FALSE(ValidUtf8("\xC3"));
  EXPECT_FALSE(ValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(ValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(ValidUtf8("caf\xE9"));       // Latin-1, not UTF-8
  EXPECT_TRUE(ValidUtf8("café і ґ 💅"));
}

using sloth::testing::DocxAmplification;
using sloth::testing::PdfAmplification;
using sloth::testing::PdfPages;
using sloth::testing::Utf16;
using sloth::testing::XlsxAmplification;
using ::testing::HasSubstr;

std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  return sloth::testing::ZipOf(entries);
}

TEST(Office, DocxParagraphsAndTables) {
  const std::string xml =
      R"(<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)"
      R"(<w:p><w:r><w:t>Price list</w:t></w:r></w:p>)"
      R"(<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Manicure</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>25 EUR</w:t></w:r></w:p></w:tc></w:tr></w:tbl>)"
      R"(<w:p><w:r><w:t xml:space="preserve">Book </w:t></w:r><w:r><w:t>online.</w:t></w:r></w:p></w:body></w:document>)";
  const auto sections =
      ParseDocx(Zip({{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", xml}}));
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_NE(sections[0].text.find("Price list\n"), std::string::npos) << sections[0].text;
  EXPECT_NE(sections[0].text.find("Manicure | 25 EUR"), std::string::npos) << sections[0].text;
  EXPECT_NE(sections[0].text.find("Book online."), std::string::npos);
}

TEST(Office, XlsxSheetsAndSharedStrings) {
  const std::string ns =
      R"( xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships")";
  const auto data = Zip(
      {{"xl/workbook.xml",
        "<workbook" + ns +
            R"(><sheets><sheet name="Prices" sheetId="1" r:id="rId1"/><sheet name="Hours" sheetId="2" r:id="rId2"/></sheets></workbook>)"},
       {"xl/_rels/workbook.xml.rels",
        R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="worksheets/sheet2.xml"/></Relationships>)"},
       {"xl/sharedStrings.xml",
        "<sst" + ns + R"(><si><t>Pedicure</t></si><si><t>Mon-Fri</t></si></sst>)"},
       {"xl/worksheets/sheet1.xml",
        "<worksheet" + ns +
            R"(><sheetData><row><c t="s"><v>0</v></c><c><v>30</v></c></row></sheetData></worksheet>)"},
       {"xl/worksheets/sheet2.xml",
        "<worksheet" + ns +
            R"(><sheetData><row><c t="s"><v>1</v></c><c t="inlineStr"><is><t>9-19</t></is></c></row></sheetData></worksheet>)"}});
  const auto sections = ParseXlsx(data);
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].label, "sheet Prices");
  EXPECT_NE(sections[0].text.find("Pedicure | 30"), std::string::npos) << sections[0].text;
  EXPECT_NE(sections[1].text.find("Mon-Fri | 9-19"), std::string::npos) << sections[1].text;
  EXPECT_EQ(sections[1].page, 2);
}

// The reason a parse failed; fails the test when it did not.
template <typename F>
std::string Refusal(F&& parse) {
  try {
    parse();
  } catch (const ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "the parse succeeded";
  return "";
}

TEST(Office, BombsEntitiesAndDamageAreRefusedForTheirReason) {
  // 60 MB of one letter deflates to about 60 KB: past the entry limit and the ratio.
  const std::string bomb = Zip({{"word/document.xml", std::string(60u << 20, 'a')}});
  EXPECT_LT(bomb.size(), 1u << 20);
  EXPECT_THAT(Refusal([&] { ParseDocx(bomb); }), HasSubstr("zip bomb"));
  const std::string laughs =
      R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>)"
      R"(<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>)";
  EXPECT_THAT(Refusal([&] {
                ParseDocx(Zip({{"word/document.xml", laughs}}));
              }),
              HasSubstr("DOCTYPE"));
  // The same declaration in UTF-16 has no "<!DOCTYPE" bytes; the parser still sees it.
  const std::string wide = Utf16(
      R"(<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY e "boom">]><d><p><t>&e;</t></p></d>)");
  ASSERT_EQ(wide.find("<!DOCTYPE"), std::string::npos);
  EXPECT_THAT(Refusal([&] {
                ParseDocx(Zip({{"word/document.xml", wide}}));
              }),
              HasSubstr("DOCTYPE"));
  // UTF-16 without a DOCTYPE is a document like any other.
  const auto fine =
      ParseDocx(Zip({{"word/document.xml", Utf16(R"(<?xml version="1.0" encoding="UTF-16"?>)"
                                                 R"(<d><p><t>wide text</t></p></d>)")}}));
  EXPECT_THAT(fine[0].text, HasSubstr("wide text"));
  std::string deep = "<a>";
  for (int i = 0; i < 1000; ++i) deep += "<b>";
  EXPECT_THAT(Refusal([&] {
                ParseDocx(Zip({{"word/document.xml", deep}}));
              }),
              HasSubstr("nested too deeply"));
  EXPECT_THAT(Refusal([] { ParseDocx("PK\x03\x04 not really a zip"); }),
              HasSubstr("not a readable Office document"));
  const std::string good = Zip({{"word/document.xml", "<d><p><t>hi</t></p></d>"}});
  EXPECT_THAT(Refusal([&] { ParseDocx(good.substr(0, 50)); }),  // cut inside the data
              HasSubstr("not a readable Office document"));
  EXPECT_THAT(Refusal([] {
                ParseXlsx(Zip({{"word/document.xml", "<d/>"}}));
              }),
              HasSubstr("no xl/workbook.xml"));
}

TEST(Office, XlsxSharedStringAmplificationStopsAtTheTextLimit) {
  // 6 KB of file, 4 GB of text if every reference were expanded.
  const std::string file = XlsxAmplification(100000, 40000);
  EXPECT_LT(file.size(), 64u << 10);
  EXPECT_THAT(Refusal([&] { ParseXlsx(file); }), HasSubstr("bytes of text"));
  ParseLimits small;
  small.max_text_bytes = 1u << 20;
  small.max_part_text_bytes = 1u << 20;
  EXPECT_THAT(Refusal([&] { Parse("xlsx", XlsxAmplification(1000, 5000), small); }),
              HasSubstr("more than 1048576 bytes of text"));
  // Under the limits the same shape reads: the limit is what refused it.
  const auto ok = Parse("xlsx", XlsxAmplification(100, 50), small);
  EXPECT_EQ(ok.size(), 1u);
}

TEST(Office, DocxAndPdfTextStopsAtTheLimits) {
  ParseLimits small;
  small.max_text_bytes = 200000;
  small.max_part_text_bytes = 100000;
  EXPECT_THAT(Refusal([&] { Parse("docx", DocxAmplification(300000), small); }),
              HasSubstr("more than 100000 bytes of text"));
  EXPECT_NO_THROW(Parse("docx", DocxAmplification(50000), small));
  small.max_part_text_bytes = 20000;
  EXPECT_THAT(Refusal([&] { Parse("pdf", PdfAmplification(300000), small); }),
              HasSubstr("more than 20000 bytes of text"));
  EXPECT_NO_THROW(Parse("pdf", PdfAmplification(10000), small));
  // Pages under the part limit each, over the document's limit together.
  small.max_text_bytes = 1000;
  EXPECT_THAT(Refusal([&] { Parse("pdf", PdfPages(30, std::string(60, 'q')), small); }),
              HasSubstr("the document holds more than 1000 bytes"));
  EXPECT_THAT(Refusal([&] { Parse("txt", std::string(1001, 't'), small); }),
              HasSubstr("the document holds more than 1000 bytes"));
}

TEST(Office, PdfPageLimitAndTimeBudget) {
  ParseLimits limits;
  limits.max_pdf_pages = 20;
  EXPECT_THAT(Refusal([&] { Parse("pdf", PdfPages(21, "page text"), limits); }),
              HasSubstr("the PDF has 21 pages; at most 20 are read"));
  EXPECT_EQ(Parse("pdf", PdfPages(20, "page text"), limits).size(), 20u);
  limits.time_budget = std::chrono::milliseconds(-1);  // already spent
  EXPECT_THAT(Refusal([&] { Parse("pdf", PdfPages(2, "page text"), limits); }),
              HasSubstr("took longer than"));
  EXPECT_THAT(Refusal([&] { Parse("docx", DocxAmplification(1000), limits); }),
              HasSubstr("took longer than"));
}

// Found by fuzz/multipart_upload_fuzz.cpp: Poco's reader yields empty parts forever at the
// end of a body without its closing boundary; the form reader spun on one thread.
TEST(UploadForm, ABodyWithoutItsClosingBoundaryEndsWithAReason) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nPrice list\r\n"
      "--XyZ\r\nContent-Disposition: form-da";
  std::istringstream in(body);
  http::BodyStream stream(in, 1 << 20);
  int files = 0;
  try {
    ReadUploadForm(stream, FormBoundary(std::string("multipart/form-data; boundary=XyZ")),
                   [&](const std::string&, std::istream&) { ++files; });
    ADD_FAILURE() << "a cut form was accepted";
  } catch (const errors::Error& e) {
    EXPECT_EQ(e.field(), "file");
    EXPECT_THAT(std::string(e.what()), HasSubstr("closing multipart boundary"));
  }
  EXPECT_EQ(files, 0);
  // A whole form still reads: title and file.
  std::istringstream whole(
      "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nPrices\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.txt\"\r\n\r\n"
      "Manicure 450\r\n--XyZ--\r\n");
  http::BodyStream ok(whole, 1 << 20);
  std::string got;
  EXPECT_EQ(ReadUploadForm(ok, "XyZ",
                           [&](const std::string& name, std::istream& part) {
                             got =
                                 name + ":" + std::string(std::istreambuf_iterator<char>(part), {});
                           }),
            "Prices");
  EXPECT_EQ(got, "p.txt:Manicure 450");
}

TEST(Formats, DecidedByContent) {
  EXPECT_EQ(DetectFormat("%PDF-1.7 ...", "prices.txt"), "pdf");
  EXPECT_EQ(DetectFormat(std::string("\xFF\xD8\xFF\xE0", 4), "a.pdf"), "jpeg");
  EXPECT_EQ(DetectFormat(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), "x"), "webp");
  EXPECT_EQ(DetectFormat(std::string("PK\x03\x04", 4) + "....word/document.xml", "x.bin"), "docx");
  EXPECT_EQ(DetectFormat("a,b\n1,2\n", "list.CSV"), "csv");
  EXPECT_EQ(DetectFormat("# Title", "faq.md"), "md");
  EXPECT_EQ(DetectFormat(std::string("MZ\x90\0", 4), "virus.txt"), "");
}

}  // namespace
}  // namespace sloth::knowledge
