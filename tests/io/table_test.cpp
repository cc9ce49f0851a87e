#include "io/table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/angles.hpp"
#include "io/atomic_file.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

namespace fs = std::filesystem;

TEST(Table, CsvQuotesAndExactDoubles) {
  Table t({"step", "name", "volume_um3"});
  t.add_row({1LL, std::string("crack, main"), 0.1});
  t.add_row({2LL, std::string("say \"hi\""), std::nan("")});
  const std::string csv = t.to_csv();
  EXPECT_EQ(csv,
            "step,name,volume_um3\n"
            "1,\"crack, main\",0.10000000000000001\n"
            "2,\"say \"\"hi\"\"\",nan\n");
  // 17 significant digits read back to the same double.
  EXPECT_EQ(std::stod("0.10000000000000001"), 0.1);
}

TEST(Table, JsonHasOneObjectPerRowAndNullForNaN) {
  Table t({"a", "b"});
  t.add_row({1.5, std::string("x")});
  t.add_row({std::nan(""), std::string("y")});
  const auto j = nlohmann::json::parse(t.to_json());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["a"], 1.5);
  EXPECT_EQ(j[1]["b"], "y");
  EXPECT_TRUE(j[1]["a"].is_null());
}

TEST(Table, RowOfWrongWidthIsRefused) {
  Table t({"a", "b"});
  EXPECT_THROW(t.add_row({1.0}), Error);
}

TEST(AtomicFile, CommitRenamesAndLeavesNoTemporary) {
  test::TempDir dir;
  const fs::path target = dir / "sub" / "table.csv";
  Table t({"a"});
  t.add_row({2LL});
  t.write_csv(target);
  std::ifstream in(target);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "a\n2\n");
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "sub")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u) << "only the final file remains";
}

TEST(AtomicFile, AbandonedWriteLeavesNothing) {
  test::TempDir dir;
  const fs::path target = dir / "out.bin";
  fs::path temp;
  {
    AtomicFile f(target);
    temp = f.temp_path();
    std::ofstream(temp) << "half written";
    EXPECT_TRUE(fs::exists(temp));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(target));
}

TEST(AtomicFile, ReplacesAnExistingFileWhole) {
  test::TempDir dir;
  const fs::path target = dir / "a.txt";
  write_file_atomic(target, "old");
  write_file_atomic(target, "new content");
  std::ifstream in(target);
  std::string s;
  std::getline(in, s);
  EXPECT_EQ(s, "new content");
}

TEST(AtomicFile, UnwritableFolderIsAnOutputError) {
  try {
    write_file_atomic("/proc/xct-cannot-write-here/x.txt", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutputIO);
  }
}

TEST(Angles, TextLinesAreSelectedOneBased) {
  test::TempDir dir;
  std::ofstream(dir / "angles.txt") << "-1\n-1\n0\n2\n4.5\n\n";
  const auto all = read_angle_text(dir / "angles.txt");
  EXPECT_EQ(all.size(), 5u) << "the trailing blank line is not an angle";
  const auto some = read_angle_text(dir / "angles.txt", 3, 5);
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some[0], 0.0);
  EXPECT_EQ(some[2], 4.5);
}

TEST(Angles, BadLinesAreReportedWithTheirNumber) {
  test::TempDir dir;
  std::ofstream(dir / "angles.txt") << "0\n1\nabc\n";
  try {
    read_angle_text(dir / "angles.txt");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadData);
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos);
  }
  EXPECT_THROW(read_angle_text(dir / "angles.txt", 2, 9), Error);
  try {
    read_angle_text(dir / "missing.txt");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InputMissing);
  }
}

TEST(Angles, RangeWithoutEndPointStopsOneStepShort) {
  AngleSpec spec;
  spec.kind = AngleSpec::Kind::Range;
  spec.start = 0;
  spec.stop = 180;
  spec.endpoint = false;
  const auto a = angles_from_spec(spec, ".", 4);
  ASSERT_EQ(a.size(), 4u);  // count 0 = one per projection
  EXPECT_DOUBLE_EQ(a[3], 135.0);
}

}  // namespace
}  // namespace xct
