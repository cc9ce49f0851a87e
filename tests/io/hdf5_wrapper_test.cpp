// The io/hdf5.hpp layer on its own: values h5py writes in its various string and number
// forms, links of every kind (dangling ones never throw where a question is asked), one-line
// errors, and what its writers produce as h5py sees it.
#include <gtest/gtest.h>

#include <vector>

#include "io/hdf5.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

using test::TempDir;

// h5py writes str attributes as variable-length UTF-8, np.bytes_ as fixed-length ASCII, and
// numpy arrays as arrays; links of each kind sit beside them.
void make_file(const TempDir& dir) {
  test::python_ok(R"(
import sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(d + '/target.h5', 'w') as f:
    f['values'] = np.arange(6, dtype=np.int16).reshape(2, 3)
with h5py.File(d + '/w.h5', 'w') as f:
    g = f.create_group('g')
    g.attrs['vlen'] = 'NXentry'
    g.attrs['fixed'] = np.bytes_('NXtomo')
    g.attrs['one'] = np.array([b'counts'])
    g.attrs['int'] = np.int32(7)
    g.attrs['pair'] = np.array([1.0, 2.0])
    f['g/scalar'] = 2.5
    f['g/text'] = 'hello'
    f['soft'] = h5py.SoftLink('/g/scalar')
    f['soft_dangling'] = h5py.SoftLink('/nowhere')
    f['ext'] = h5py.ExternalLink('target.h5', '/values')
    f['ext_missing'] = h5py.ExternalLink('absent.h5', '/values')
    f['ext_group_missing'] = h5py.ExternalLink('absent.h5', '/group')
)",
                  {dir.path().string()});
}

TEST(Hdf5Wrapper, AttributesAndSmallValuesInH5pyForms) {
  TempDir dir;
  make_file(dir);
  const h5::File f = h5::open_file(dir / "w.h5");
  const h5::Group g = h5::open_group(f, "/g");
  EXPECT_EQ(h5::read_string_attribute(g.id(), "vlen").value_or(""), "NXentry");
  EXPECT_EQ(h5::read_string_attribute(g.id(), "fixed").value_or(""), "NXtomo");
  EXPECT_EQ(h5::read_string_attribute(g.id(), "one").value_or(""), "counts");
  EXPECT_FALSE(h5::read_string_attribute(g.id(), "int").has_value());  // a number, not text
  EXPECT_EQ(h5::read_number_attribute(g.id(), "int").value_or(0), 7.0);
  EXPECT_FALSE(h5::read_number_attribute(g.id(), "pair").has_value());  // two values
  EXPECT_FALSE(h5::has_attribute(g.id(), "absent"));
  EXPECT_EQ(h5::read_doubles(h5::open_dataset(f, "/g/scalar")), std::vector<double>{2.5});
  EXPECT_EQ(h5::read_string(h5::open_dataset(f, "/g/text")), "hello");
  const h5::Dataset values = h5::open_dataset(f, "/ext");  // through the external link
  const h5::DatasetInfo info = h5::dataset_info(values);
  EXPECT_EQ(info.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(info.type_name(), "int16");
  EXPECT_FALSE(info.scan_dtype().has_value());  // int16 is not a scan sample type
  std::vector<float> block(2);
  h5::read_block(values, {1, 1}, {1, 2}, H5T_NATIVE_FLOAT, block.data());
  EXPECT_EQ(block, (std::vector<float>{4.0f, 5.0f}));  // row 1, cols 1-2 of 0..5
}

TEST(Hdf5Wrapper, LinksOfEveryKindAndDanglingOnesNeverThrow) {
  TempDir dir;
  make_file(dir);
  const h5::File f = h5::open_file(dir / "w.h5");
  EXPECT_EQ(h5::link_info(f, "/g").type, h5::LinkType::Hard);
  EXPECT_EQ(h5::link_info(f, "/soft").soft_target, "/g/scalar");
  const h5::LinkInfo ext = h5::link_info(f, "/ext");
  EXPECT_EQ(ext.type, h5::LinkType::External);
  EXPECT_EQ(ext.external_file, "target.h5");
  EXPECT_EQ(ext.external_object, "/values");
  EXPECT_TRUE(ext.target_file_exists);
  const h5::LinkInfo missing = h5::link_info(f, "/ext_missing");
  EXPECT_FALSE(missing.target_file_exists);
  EXPECT_EQ(missing.resolved_file, dir / "absent.h5");
  EXPECT_EQ(h5::link_info(f, "/nothing").type, h5::LinkType::Missing);

  EXPECT_TRUE(h5::link_exists(f, "/ext_missing"));
  EXPECT_FALSE(h5::object_exists(f, "/ext_missing"));
  EXPECT_FALSE(h5::link_exists(f, "/ext_group_missing/data"));  // through a dangling link
  EXPECT_FALSE(h5::link_exists(f, "/a/b/c"));
  EXPECT_FALSE(h5::object_kind(f, "/soft_dangling").has_value());
  const auto problem = h5::path_problem(f, "/ext_group_missing/data");
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->kind, h5::PathProblem::Kind::DanglingExternal);
  EXPECT_EQ(problem->link_path, "/ext_group_missing");
  EXPECT_EQ(h5::path_problem(f, "/soft_dangling")->kind, h5::PathProblem::Kind::DanglingSoft);
  EXPECT_FALSE(h5::path_problem(f, "/g/scalar").has_value());

  std::size_t n_external = 0;
  for (const auto& link : h5::list_links(f))
    n_external += link.type == h5::LinkType::External;
  EXPECT_EQ(n_external, 3u);  // listed, dangling or not, without following them
  test::expect_error([&] { h5::open_dataset(f, "/ext_missing"); }, ErrorKind::InputMissing,
                     {"/ext_missing", "absent.h5"});
  test::expect_error([&] { h5::open_dataset(f, "/g/none"); }, ErrorKind::BadData, {"w.h5:/g/none"});
}

TEST(Hdf5Wrapper, FailedCallsBecomeOneLine) {
  h5::init();
  ASSERT_LT(H5Fopen("/nonexistent/x.h5", H5F_ACC_RDONLY, H5P_DEFAULT), 0);
  const std::string line = h5::error_stack_line();
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_TRUE(h5::error_stack_line().empty());                      // the stack was cleared
  EXPECT_NE(h5::last_error_stack().find('\n'), std::string::npos);  // the full stack, for logs
  test::expect_error([] { h5::fail(ErrorKind::OutputIO, "writing x"); }, ErrorKind::OutputIO,
                     {"writing x"});
}

TEST(Hdf5Wrapper, WrittenFilesReadInH5pyAsStrAndNumbers) {
  TempDir dir;
  {
    h5::File f = h5::create_file(dir / "out.h5");
    const h5::Group g = h5::create_group(f.id(), "/entry/instrument");
    h5::write_attribute(g.id(), "NX_class", "NXinstrument");
    h5::write_attribute(g.id(), "NX_class", "NXinstrument2");  // replaces, no error
    h5::write_attribute(g.id(), "count", std::int64_t{42});
    const h5::Dataset d = h5::write_doubles(f.id(), "/entry/angles", {0.0, 90.0});
    h5::write_attribute(d.id(), "units", "degree");
    h5::write_string(f.id(), "/entry/definition", "NXtomo");
    h5::create_soft_link(f.id(), "/entry/data/angles", "/entry/angles");
    h5::create_external_link(f.id(), "/entry/ext", "other.h5", "/x");
  }
  test::python_ok(R"(
import sys, h5py
with h5py.File(sys.argv[1], 'r') as f:
    a = f['/entry/instrument'].attrs
    assert a['NX_class'] == 'NXinstrument2' and isinstance(a['NX_class'], str), a['NX_class']
    assert a['count'] == 42
    assert list(f['/entry/data/angles'][()]) == [0.0, 90.0]
    assert f['/entry/angles'].attrs['units'] == 'degree'
    assert f['/entry/definition'].asstr()[()] == 'NXtomo'
    assert f.get('/entry/ext', getlink=True).filename == 'other.h5'
)",
                  {(dir / "out.h5").string()});
}

}  // namespace
}  // namespace xct
