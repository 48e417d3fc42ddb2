#include "auth/password.hpp"
#include "auth/seed.hpp"
#include "auth/service.hpp"
#include "auth/store.hpp"
#include "auth/territory.hpp"
#include "auth/throttle.hpp"
#include "common/errors.hpp"
#include "auth/module.hpp"
#include "platform/migrate.hpp"
#include "temp_dir.hpp"

#include <sodium.h>

#include <catch2/catch.hpp>

#include <set>

using namespace relais;
using namespace relais::auth;

TEST_CASE("Argon2id hashes verify and are salted", "[auth]") {
    REQUIRE(sodium_init() >= 0);
    auto h1 = hash_password("une phrase de passe");
    auto h2 = hash_password("une phrase de passe");
    CHECK(h1.rfind("$argon2id$", 0) == 0);
    CHECK(h1 != h2);
    CHECK(verify_password(h1, "une phrase de passe"));
    CHECK_FALSE(verify_password(h1, "une phrase de passE"));
    CHECK_FALSE(verify_password("garbage", "x"));
}

TEST_CASE("password policy and tokens", "[auth]") {
    CHECK_FALSE(acceptable_password("court"));
    CHECK(acceptable_password("dix carac."));
    CHECK(acceptable_password("éàèùâêîôûç"));  // 10 code points, 20 bytes
    CHECK_FALSE(acceptable_password(std::string(257, 'a')));
    // Ten characters, but one key held down, blanks, a pattern or a list's first guess.
    CHECK_FALSE(acceptable_password("aaaaaaaaaa"));
    CHECK_FALSE(acceptable_password(std::string(20, ' ')));
    CHECK_FALSE(acceptable_password("abababababab"));
    CHECK_FALSE(acceptable_password("éèéèéèéèéè"));
    CHECK_FALSE(acceptable_password("AZERTYUIOP"));
    CHECK_FALSE(acceptable_password("Mot de passe"));
    CHECK_FALSE(acceptable_password("1234567890"));
    CHECK(acceptable_password("une phrase de passe"));
    CHECK(acceptable_password("abcdeabcde"));
    CHECK_FALSE(acceptable_password("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"));
    auto t1 = random_token(), t2 = random_token();
    CHECK(t1 != t2);
    CHECK(t1.size() == 43);
    CHECK(t1.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
    CHECK(token_hash(t1).size() == 64);
    CHECK(token_hash(t1) == token_hash(t1));
    CHECK(token_hash(t1) != token_hash(t2));
}

TEST_CASE("throttle: free failures, then growing delays, never a lock, forgotten after a while", "[auth]") {
    throttle t(3, std::chrono::seconds(60), std::chrono::seconds(900));
    auto now = throttle::clock::now();
    CHECK(t.retry_after("a", now) == 0);
    for (int i = 0; i < 3; ++i) t.record_failure("a", now);
    // Three free failures, then 1 s after the third.
    CHECK(t.retry_after("a", now) >= 1);
    CHECK(t.retry_after("a", now) <= 2);
    CHECK(t.retry_after("a", now + std::chrono::seconds(2)) == 0);
    t.record_failure("a", now + std::chrono::seconds(2));
    CHECK(t.retry_after("a", now + std::chrono::seconds(2)) >= 2);   // then 2 s
    CHECK(t.retry_after("a", now + std::chrono::seconds(5)) == 0);
    for (int i = 0; i < 20; ++i) t.record_failure("a", now + std::chrono::seconds(5));
    // Capped at the longest delay, never longer.
    CHECK(t.retry_after("a", now + std::chrono::seconds(5)) <= 61);
    CHECK(t.retry_after("a", now + std::chrono::seconds(5)) >= 59);
    CHECK(t.retry_after("a", now + std::chrono::seconds(66)) == 0);
    // Forgotten after `memory` without failure.
    CHECK(t.retry_after("b", now) == 0);
    t.record_failure("c", now);
    t.record_failure("c", now);
    t.reset("c");
    t.record_failure("c", now);
    CHECK(t.retry_after("c", now) == 0);
    // A failure counted ahead of a success is taken back.
    throttle f(1, std::chrono::seconds(60), std::chrono::seconds(900));
    f.record_failure("d", now);
    f.forgive("d");
    f.record_failure("d", now);
    CHECK(f.retry_after("d", now) > 0);
    f.forgive("d");
    CHECK(f.retry_after("d", now) == 0);
    CHECK(french_wait(1) == "1 seconde");
    CHECK(french_wait(8) == "8 secondes");
    CHECK(french_wait(61) == "2 minutes");
}

TEST_CASE("territories: every département once, in one region", "[auth]") {
    std::set<std::string_view> seen;
    std::size_t total = 0;
    for (const auto& r : regions()) {
        for (auto d : r.departements) {
            seen.insert(d);
            ++total;
        }
    }
    CHECK(regions().size() == 18);
    CHECK(total == seen.size());
    CHECK(total == 101);
    CHECK(find_region("32")->label == "Hauts-de-France");
    CHECK(find_region("99") == nullptr);
    CHECK(is_org_type("cpts"));
    CHECK_FALSE(is_org_type("clinique"));
    CHECK(is_role("animateur"));
    CHECK_FALSE(is_role("guest"));
}

TEST_CASE("organisation validation", "[auth]") {
    using json = nlohmann::json;
    auto o = service::parse_org(json{{"name", " CPTS Sud Artois "}, {"type", "cpts"}, {"region", "32"}, {"departements", {"62", "62", "59"}}}, nullptr);
    CHECK(o.name == "CPTS Sud Artois");
    CHECK(o.departements == std::vector<std::string>{"59", "62"});
    auto field = [](const json& j) {
        try {
            service::parse_org(j, nullptr);
        } catch (const api_error& e) {
            return e.field();
        }
        return std::string("accepted");
    };
    CHECK(field(json{{"type", "cpts"}}) == "name");
    CHECK(field(json{{"name", "X"}, {"type", "hopital"}}) == "type");
    CHECK(field(json{{"name", "X"}, {"type", "ars"}, {"region", "00"}}) == "region");
    CHECK(field(json{{"name", "X"}, {"type", "ars"}, {"region", "32"}, {"departements", {"13"}}}) == "departements");
    CHECK(field(json{{"name", "X"}, {"type", "ars"}, {"departements", {"59"}}}) == "departements");
    CHECK(field(json{{"name", "X"}, {"type", "ars"}, {"region", "32"}, {"departements", "59"}}) == "departements");
    CHECK(field(json{{"name", "X"}, {"type", "federation"}, {"region", nullptr}}) == "accepted");
    // A patch keeps what it does not name.
    auto patched = service::parse_org(json{{"name", "Nouveau nom"}}, &o);
    CHECK(patched.type == "cpts");
    CHECK(patched.departements == o.departements);
    CHECK(service::normalise_email("  Jean.Dupont@CPAM.fr ") == "jean.dupont@cpam.fr");
    CHECK_THROWS_AS(service::normalise_email("jean@"), api_error);
    CHECK_THROWS_AS(service::normalise_email("a b@c.fr"), api_error);
}

TEST_CASE("store: users, sessions and the seed", "[auth]") {
    unit_temp_dir dir;
    db::connection c(dir.path / "a.db", db::connection::mode::read_write);
    platform::migrate(c, {{"auth", &auth::migrations()}});
    CHECK(load_seed_organisations(c, RELAIS_SOURCE_DIR "/seed-content") == 16);
    CHECK(load_seed_organisations(c, RELAIS_SOURCE_DIR "/seed-content") == 0);
    auto ars = store::org_by_name(c, "ars hauts-de-france");
    REQUIRE(ars);
    CHECK(ars->departements.size() == 5);

    user u;
    u.email = "a@b.fr";
    u.name = "A";
    u.role = "admin";
    u.org_id = ars->id;
    u.password_hash = "h";
    auto id = store::insert_user(c, u, 100);
    CHECK_THROWS_AS(store::insert_user(c, u, 100), db::db_error);
    CHECK(store::org_by_id(c, ars->id)->user_count == 1);
    CHECK(store::count_active_admins_except(c, id) == 0);

    store::insert_session(c, "h1", id, 100, 200, "127.0.0.1", "ua");
    store::insert_session(c, "h2", id, 100, 200, "127.0.0.1", "ua");
    CHECK(store::session_user(c, "h1", 150)->email == "a@b.fr");
    CHECK_FALSE(store::session_user(c, "h1", 200));  // expired
    store::delete_user_sessions(c, id, "h2");
    CHECK_FALSE(store::session_user(c, "h1", 150));
    CHECK(store::session_user(c, "h2", 150));
    auto stored = store::user_by_id(c, id);
    stored->active = false;
    store::update_user(c, *stored, 120);
    CHECK_FALSE(store::session_user(c, "h2", 150));  // inactive accounts have no session
    CHECK(store::delete_expired_sessions(c, 300) == 1);
    CHECK_FALSE(to_json(*stored).contains("password_hash"));
}
