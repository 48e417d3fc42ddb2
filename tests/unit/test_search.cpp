#include "search/index.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

TEST_CASE("the index opens, is readable, and reports a broken folder", "[search]") {
    unit_temp_dir dir;
    {
        relais::search::index idx(dir.path / "index");
        CHECK(idx.document_count() == 0);
    }
    relais::search::index reopened(dir.path / "index");
    relais::search::index beside(dir.path / "index");  // no lock held: tools run beside the server
    CHECK(reopened.document_count() == 0);
    CHECK(beside.document_count() == 0);
    std::filesystem::remove_all(dir.path / "index");
    std::filesystem::create_directories(dir.path / "index");
    std::ofstream(dir.path / "index" / "iamglass") << "garbage";
    CHECK_THROWS(reopened.document_count());
}
