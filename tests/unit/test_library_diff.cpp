// What changed between two versions of a fiche (library/diff): pure functions.
#include "library/diff.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <random>

using namespace relais::library;
using op = diff_segment::op;

namespace {

/// The two texts the runs give back: equal + delete = older, equal + insert = newer.
std::pair<std::string, std::string> sides(const std::vector<diff_segment>& d) {
    std::string a, b;
    for (const auto& s : d) {
        if (s.kind != op::insert) a += s.text;
        if (s.kind != op::erase) b += s.text;
    }
    return {a, b};
}

std::string render(const std::vector<diff_segment>& d) {
    std::string out;
    for (const auto& s : d) out += s.kind == op::equal ? s.text : (s.kind == op::erase ? "[-" : "{+") + s.text + (s.kind == op::erase ? "-]" : "+}");
    return out;
}

}  // namespace

TEST_CASE("diff: a word changed is the old word out and the new one in, the rest unchanged", "[library][diff]") {
    auto d = diff_text("La CPTS réunit les médecins du secteur.\n", "La CPTS réunit les pharmaciens du secteur.\n");
    CHECK(render(d) == "La CPTS réunit les [-médecins-]{+pharmaciens+} du secteur.\n");
    // Accented words are whole words; punctuation and « » stand alone.
    CHECK(render(diff_text("« Réunion » à Lille", "« Réunions » à Lille")) == "« [-Réunion-]{+Réunions+} » à Lille");
}

TEST_CASE("diff: the runs give back both versions exactly", "[library][diff]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", ""},
        {"", "Nouveau texte\n"},
        {"Ancien texte\n", ""},
        {"a\nb\nc\n", "a\nc\nb\n"},
        {"# Titre\n\nUn paragraphe.\n\n- un\n- deux\n", "# Titre modifié\n\nUn paragraphe, plus long.\n\n- un\n- trois\n- deux\n"},
        {"sans fin de ligne", "sans fin de ligne !"},
        {"l’été — 😀 ok\r\n", "l’hiver — 😃 ok\r\n"},
    };
    for (const auto& [a, b] : cases) {
        auto d = diff_text(a, b);
        CHECK(sides(d) == std::make_pair(a, b));
        for (const auto& s : d) CHECK_FALSE(s.text.empty());
        // Never two runs of the same kind side by side.
        for (std::size_t i = 1; i < d.size(); ++i) CHECK(d[i].kind != d[i - 1].kind);
    }
}

TEST_CASE("diff: a rewritten phrase reads as one phrase out and one in, lines stay apart", "[library][diff]") {
    auto d = diff_text("Le chat de ma sœur dort.\n", "La souris de mon frère dort.\n");
    CHECK(render(d) == "[-Le chat de ma sœur-]{+La souris de mon frère+} dort.\n");
    // An unchanged line between two changed ones is not folded into them.
    auto lines = diff_text("un\nmilieu\ndeux\n", "UN\nmilieu\nDEUX\n");
    CHECK(render(lines) == "[-un-]{+UN+}\nmilieu\n[-deux-]{+DEUX+}\n");
    // A paragraph added between others is an insertion of its lines alone.
    auto added = diff_text("Premier.\n\nDernier.\n", "Premier.\n\nAjouté au milieu.\n\nDernier.\n");
    CHECK(render(added) == "Premier.\n\n{+Ajouté au milieu.\n\n+}Dernier.\n");
}

TEST_CASE("diff: bodies at the size limit, wholly rewritten, are compared in bounded time", "[library][diff]") {
    std::mt19937 rng(7);
    auto text = [&](int words) {
        static const char* vocab[] = {"santé", "CPTS", "parcours", "patient", "soins", "coordination", "ville", "hôpital", "prévention", "équipe"};
        std::string s;
        for (int i = 0; i < words; ++i) {
            s += vocab[rng() % 10];
            s += i % 12 == 11 ? "\n" : " ";
        }
        return s;
    };
    const auto a = text(9000), b = text(9000);  // about 80,000 characters each, every line different
    const auto start = std::chrono::steady_clock::now();
    auto d = diff_text(a, b);
    const auto spent = std::chrono::steady_clock::now() - start;
    CHECK(sides(d) == std::make_pair(a, b));
    CHECK(spent < std::chrono::seconds(20));  // generous: sanitizer builds on a shared machine
    // A long body with one word fixed on every line: each line shows its own word.
    std::string fixed = a;
    for (std::size_t at = 0; (at = fixed.find("santé", at)) != std::string::npos; at += 6) fixed.replace(at, 6, "Santé");
    auto typos = diff_text(a, fixed);
    CHECK(sides(typos) == std::make_pair(a, fixed));
    std::size_t changed = 0;
    for (const auto& s : typos)
        if (s.kind == op::insert) {
            ++changed;
            CHECK(s.text.find("Santé") != std::string::npos);
            CHECK(s.text.size() < 200);
        }
    CHECK(changed > 500);
}

TEST_CASE("diff: fields that differ, lists as codes added and removed, attachments by digest", "[library][diff]") {
    content a, b;
    a.title = "Titre";
    b.title = "Titre revu";
    a.summary = b.summary = "Même résumé";
    a.phases = {"emergence", "projet"};
    b.phases = {"projet", "contractualisation"};
    a.missions = b.missions = {"acces"};
    a.region = "32";
    a.date = b.date = "2026-01-15";
    a.attachments = {{"aaa", "rapport.pdf", "application/pdf", 10}, {"bbb", "photo.png", "image/png", 5}};
    b.attachments = {{"bbb", "photo du groupe.png", "image/png", 5}, {"ccc", "annexe.odt", "application/vnd.oasis.opendocument.text", 7}};
    a.body = b.body = "Texte.\n";
    auto j = compare(a, b);
    CHECK(j["body_changed"] == false);
    REQUIRE(j["body"].size() == 1);
    CHECK(j["body"][0]["op"] == "equal");
    std::map<std::string, nlohmann::json> by;
    for (const auto& f : j["fields"]) by[f["field"].get<std::string>()] = f;
    CHECK(by.size() == 4);
    CHECK(by["title"] == nlohmann::json({{"field", "title"}, {"from", "Titre"}, {"to", "Titre revu"}}));
    CHECK(by["region"]["from"] == "32");
    CHECK(by["region"]["to"].is_null());
    CHECK(by["phases"]["added"] == nlohmann::json({"contractualisation"}));
    CHECK(by["phases"]["removed"] == nlohmann::json({"emergence"}));
    CHECK(by["attachments"]["added"] == nlohmann::json({{{"sha256", "ccc"}, {"name", "annexe.odt"}}}));
    CHECK(by["attachments"]["removed"] == nlohmann::json({{{"sha256", "aaa"}, {"name", "rapport.pdf"}}}));
    CHECK(by["attachments"]["renamed"] == nlohmann::json({{{"sha256", "bbb"}, {"from", "photo.png"}, {"to", "photo du groupe.png"}}}));
}
