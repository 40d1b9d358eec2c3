// Chunking and the offline embedder: pure functions.

#include <unistd.h>
#include <cmath>
#include <filesystem>

#include <Poco/Zip/Compress.h>
#include <gtest/gtest.h>

#include <sstream>

#include "blob_store.hpp"
#include "hashed_embedder.hpp"
#include "knowledge/chunker.hpp"
#include "knowledge/office.hpp"
#include "knowledge/parsers.hpp"

namespace sloth::knowledge {
namespace {

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

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

TEST(HashedEmbedder, NormalisedDeterministicAndSemanticEnough) {
  local_embedder::HashedEmbedder e(384);
  const auto a = e.Embed("How much does a gel manicure cost?");
  const auto b = e.Embed("Gel manicure price");
  const auto c = e.Embed("Cancellation policy: 24 hours notice");
  EXPECT_NEAR(Dot(a, a), 1.0f, 1e-4);
  EXPECT_EQ(a, e.Embed("How much does a gel manicure cost?"));
  EXPECT_GT(Dot(a, b), Dot(a, c));
  // Ukrainian inflections meet on character n-grams.
  const auto uk1 = e.Embed("Скільки коштує манікюр з покриттям?");
  const auto uk2 = e.Embed("Манікюр з покриттям гель-лаком — 600 грн");
  const auto uk3 = e.Embed("Скасування запису менш ніж за добу");
  EXPECT_GT(Dot(uk1, uk2), Dot(uk1, uk3));
  EXPECT_EQ(local_embedder::HashedEmbedder::Words("МАНІКЮР, Їжак! п'ять"),
            (std::vector<std::string>{"манікюр", "їжак", "пять"}));
  const auto empty = e.Embed("");
  EXPECT_EQ(Dot(empty, empty), 0.0f);
}

TEST(BlobStore, KeysCannotLeaveTheRoot) {
  const auto root =
      std::filesystem::temp_directory_path() / ("sloth-blobs-" + std::to_string(getpid()));
  storage_local::BlobStore store(root);
  for (const char* bad : {"../x", "a/../../b", "/etc/passwd", "a//b", "a/./b", "a\\b", "..", "a/..",
                          "%2e%2e/x", "", "a/b c"}) {
    EXPECT_FALSE(storage_local::BlobStore::ValidKey(bad)) << bad;
    EXPECT_THROW(store.Put(bad, "x"), storage_local::BadKey) << bad;
  }
  EXPECT_EQ(store.Put("7/documents/12.pdf", "hello"), 5u);
  EXPECT_EQ(store.Get("7/documents/12.pdf"), "hello");
  store.Put("7/photos/1.jpg", "jpg");
  store.Put("8/documents/1.txt", "other tenant");
  const auto list = store.List("7/", "", 10);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].first, "7/documents/12.pdf");
  EXPECT_TRUE(store.Remove("7/documents/12.pdf"));
  EXPECT_FALSE(store.Get("7/documents/12.pdf"));
  EXPECT_FALSE(store.Remove("7/documents/12.pdf"));
  std::filesystem::remove_all(root);
}

TEST(BlobStore, StreamedWritesAppearWholeOrNotAtAll) {
  const auto root =
      std::filesystem::temp_directory_path() / ("sloth-stream-" + std::to_string(getpid()));
  storage_local::BlobStore store(root);
  const auto id = store.Begin("3/documents/a.txt");
  store.Append(id, "hello ");
  EXPECT_FALSE(store.Get("3/documents/a.txt"));  // nothing visible before the commit
  store.Append(id, "world");
  const auto done = store.Commit(id);
  EXPECT_EQ(done.key, "3/documents/a.txt");
  EXPECT_EQ(done.size, 11u);
  EXPECT_EQ(store.Get("3/documents/a.txt"), "hello world");
  EXPECT_THROW(store.Append(id, "more"), storage_local::BadKey);  // finished uploads are gone

  const auto cut = store.Begin("3/documents/b.txt");
  store.Append(cut, "half");
  store.Abort(cut);
  EXPECT_FALSE(store.Get("3/documents/b.txt"));
  EXPECT_EQ(store.List("3/", "", 10).size(), 1u);
  std::size_t files = 0;  // no temporary file left behind
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);
  EXPECT_THROW(store.Begin("../escape"), storage_local::BadKey);
  std::filesystem::remove_all(root);
}

// A zip with the given (name, content) entries, deflated.
std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::ostringstream out;
  Poco::Zip::Compress c(out, true);
  for (const auto& [name, content] : entries) {
    std::istringstream in(content);
    c.addFile(in, Poco::DateTime(), Poco::Path(name, Poco::Path::PATH_UNIX));
  }
  c.close();
  return out.str();
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

TEST(Office, BombsEntitiesAndDamageAreRefused) {
  // 60 MB of one letter deflates to about 60 KB: past the entry limit and the ratio.
  const std::string bomb = Zip({{"word/document.xml", std::string(60u << 20, 'a')}});
  EXPECT_LT(bomb.size(), 1u << 20);
  EXPECT_THROW(ParseDocx(bomb), ParseError);
  const std::string laughs =
      R"(<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>)"
      R"(<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>)";
  EXPECT_THROW(ParseDocx(Zip({{"word/document.xml", laughs}})), ParseError);
  std::string deep = "<a>";
  for (int i = 0; i < 1000; ++i) deep += "<b>";
  EXPECT_THROW(ParseDocx(Zip({{"word/document.xml", deep}})), ParseError);
  EXPECT_THROW(ParseDocx("PK\x03\x04 not really a zip"), ParseError);
  const std::string good = Zip({{"word/document.xml", "<d><p><t>hi</t></p></d>"}});
  EXPECT_THROW(ParseDocx(good.substr(0, 50)), ParseError);                    // cut inside the data
  EXPECT_THROW(ParseXlsx(Zip({{"word/document.xml", "<d/>"}})), ParseError);  // no workbook
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
