#include "common/errors.hpp"
#include "net/router.hpp"
#include "net/static_files.hpp"
#include "temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <fstream>

using namespace relais;
using namespace relais::net;

namespace {
handler answer(int status) {
    return [status](request&) -> asio::awaitable<response> {
        response r;
        r.status = status;
        co_return r;
    };
}
}  // namespace

TEST_CASE("router: literal and parameter segments, 404 and 405", "[net]") {
    router r;
    r.add("GET", "/api/admin/users", "admin", answer(1));
    r.add("POST", "/api/admin/users", "admin", answer(2));
    r.add("PATCH", "/api/admin/users/{id}", "admin", answer(3));
    CHECK_THROWS_AS(r.add("GET", "/api/admin/users", "admin", answer(9)), std::logic_error);
    CHECK_THROWS_AS(r.add("GET", "/api/other", "", answer(9)), std::logic_error);  // every route has an access level
    CHECK(r.routes()[2].access == "admin");

    auto m = r.find("PATCH", "/api/admin/users/42");
    REQUIRE(m.result == router::match::kind::found);
    CHECK(m.params.at("id") == "42");
    CHECK(*m.pattern == "/api/admin/users/{id}");

    auto head = r.find("HEAD", "/api/admin/users");
    CHECK(head.result == router::match::kind::found);

    auto wrong = r.find("DELETE", "/api/admin/users");
    CHECK(wrong.result == router::match::kind::method_not_allowed);
    CHECK(wrong.allowed == "GET, HEAD, POST");  // every GET route answers HEAD too
    CHECK(r.find("GET", "/api/admin/users/").result == router::match::kind::not_found);
    CHECK(r.find("GET", "/api/admin").result == router::match::kind::not_found);
    CHECK(r.find("GET", "/api/admin/users/1/2").result == router::match::kind::not_found);
    CHECK(r.routes().size() == 3);
}

TEST_CASE("request helpers: cookies, ids, url decoding", "[net]") {
    request q;
    q.headers["cookie"] = "a=1; relais_session=tok; b=2";
    CHECK(q.cookie("relais_session") == "tok");
    CHECK_FALSE(q.cookie("missing"));
    q.params["id"] = "12";
    CHECK(q.id_param("id") == 12);
    for (const char* bad : {"0", "-3", "1x", "", "99999999999999999999"}) {
        q.params["id"] = bad;
        CHECK_THROWS_AS(q.id_param("id"), api_error);
    }
    std::string out;
    CHECK(url_decode("/a%20b", out, false));
    CHECK(out == "/a b");
    CHECK(url_decode("a+b", out, true));
    CHECK(out == "a b");
    CHECK_FALSE(url_decode("%zz", out, false));
    CHECK_FALSE(url_decode("%2", out, false));
    CHECK_FALSE(url_decode("%00", out, false));
    CHECK_FALSE(url_decode("%ff", out, false));
    CHECK(url_decode("%C3%A9", out, false));
    CHECK(out == "é");
}

TEST_CASE("static files: clean paths only, MIME types, ETag, app shell", "[net]") {
    unit_temp_dir dir;
    std::filesystem::create_directories(dir.path / "web/js");
    std::filesystem::create_directories(dir.path / "web/.git");
    std::ofstream(dir.path / "web/index.html") << "<!doctype html><html></html>";
    std::ofstream(dir.path / "web/js/app.js") << "export {}";
    std::ofstream(dir.path / "web/.git/config") << "secret";
    std::ofstream(dir.path / "outside.txt") << "secret";
    std::filesystem::create_symlink(dir.path / "outside.txt", dir.path / "web/link.txt");
    static_files files(dir.path / "web");
    CHECK(files.size() == 2);

    auto js = files.serve("/js/app.js", "");
    REQUIRE(js);
    CHECK(js->status == 200);
    CHECK(js->content_type == "text/javascript; charset=utf-8");
    std::string etag;
    for (auto& [k, v] : js->headers)
        if (k == "ETag") etag = v;
    REQUIRE(etag.size() > 10);
    CHECK(files.serve("/js/app.js", etag)->status == 304);
    CHECK(files.serve("/js/app.js", "\"other\"")->status == 200);

    CHECK(files.serve("/", "")->body.find("<html>") != std::string::npos);
    CHECK(files.serve("/ateliers", "")->body.find("<html>") != std::string::npos);  // app route
    CHECK(files.serve("/js/missing.js", "")->status == 404);
    CHECK(files.serve("/link.txt", "")->status == 404);      // symlink out of the root
    CHECK(files.serve("/.git/config", "")->status == 404);   // hidden
    CHECK_FALSE(files.serve("/../outside.txt", ""));
    CHECK_FALSE(files.serve("/js/../../outside.txt", ""));
    CHECK_FALSE(files.serve("/js//app.js", ""));
    CHECK_FALSE(files.serve("/js\\app.js", ""));
    CHECK_FALSE(files.serve("relative", ""));

    CHECK(static_files::mime_type("a.SVG") == "image/svg+xml");
    CHECK(static_files::mime_type("a.unknown") == "application/octet-stream");
}

TEST_CASE("the real web root loads", "[net]") {
    static_files files(RELAIS_WEB_ROOT);
    CHECK(files.size() > 3);
    auto index = files.serve("/", "");
    REQUIRE(index);
    // No inline script: the CSP forbids it, so the shell must not need it.
    CHECK(index->body.find("<script>") == std::string::npos);
    CHECK(index->body.find("onclick=") == std::string::npos);
    CHECK(index->body.find("style=\"") == std::string::npos);
}

TEST_CASE("error responses have one shape", "[net]") {
    auto r = response::error(api_error(errors::invalid_field, "email"));
    CHECK(r.status == 400);
    CHECK(r.body == R"({"error":{"code":"champ_invalide","field":"email","message":"Un champ est absent ou invalide."}})");
}
