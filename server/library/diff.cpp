#include "library/diff.hpp"

#include <dtl/dtl.hpp>

#include <algorithm>
#include <set>

namespace relais::library {

namespace {

using json = nlohmann::json;
using op = diff_segment::op;

// Past this many tokens on the two sides of one changed block of lines, its lines are
// compared two by two in order (a typo fixed on every line), the rest taken out or added:
// comparing word by word costs up to the product of the two sides.
constexpr std::size_t word_budget = 5000;

/// The code point at s[i] (valid UTF-8 assumed; a stray byte counts as itself) and its length.
std::pair<char32_t, std::size_t> decode(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return {c, 1};
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + n > s.size() || n == 1) return {c, 1};
    char32_t cp = c & (0x3F >> (n - 1));
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return {cp, n};
}

enum class klass { word, space, newline, other };

klass classify(char32_t c) {
    if (c == '\n') return klass::newline;
    if (c == ' ' || c == '\t' || c == '\r' || c == 0xA0 || c == 0x202F || (c >= 0x2000 && c <= 0x200A) || c == 0x3000)
        return klass::space;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return klass::word;
    // Letters of the Latin supplements and extensions, Greek, Cyrillic… and the scripts past
    // the punctuation blocks; the punctuation (« » ’ — …) and symbols (emoji) stand alone.
    if ((c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x370 && c <= 0x1FFF) ||
        (c >= 0x3040 && c < 0x1F000))
        return klass::word;
    return klass::other;
}

/// Words, runs of blanks, line breaks and single other characters: views into `s`.
std::vector<std::string_view> tokens(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        auto [c, n] = decode(s, i);
        const auto k = classify(c);
        std::size_t j = i + n;
        if (k == klass::word || k == klass::space) {
            while (j < s.size()) {
                auto [c2, n2] = decode(s, j);
                if (classify(c2) != k) break;
                j += n2;
            }
        }
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

/// Lines, each with its line break.
std::vector<std::string_view> lines(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        auto j = s.find('\n', i);
        j = j == std::string_view::npos ? s.size() : j + 1;
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

/// A change: what the older version had there and what the newer has; or an unchanged run.
struct chunk {
    bool equal = true;
    std::string from, to;  // equal: both the same text
};

void push(std::vector<chunk>& out, bool equal, std::string_view from, std::string_view to) {
    if (from.empty() && to.empty()) return;
    if (!out.empty() && out.back().equal == equal) {
        out.back().from += from;
        out.back().to += to;
        return;
    }
    out.push_back({equal, std::string(from), std::string(to)});
}

/// The shortest edit script of two token sequences, appended to `out` as chunks. dtl's
/// search stops at its own bound (two million path points) and, "unserious", gives the rest
/// as taken out then added.
void compare_tokens(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b, std::vector<chunk>& out) {
    // The common start and end cost nothing to find and most edits are local.
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
    for (std::size_t i = 0; i < head; ++i) push(out, true, a[i], a[i]);
    std::vector<std::string_view> mid_a(a.begin() + static_cast<std::ptrdiff_t>(head), a.end() - static_cast<std::ptrdiff_t>(tail));
    std::vector<std::string_view> mid_b(b.begin() + static_cast<std::ptrdiff_t>(head), b.end() - static_cast<std::ptrdiff_t>(tail));
    if (mid_a.empty() || mid_b.empty()) {
        for (auto t : mid_a) push(out, false, t, {});
        for (auto t : mid_b) push(out, false, {}, t);
    } else {
        dtl::Diff<std::string_view, std::vector<std::string_view>> d(mid_a, mid_b);
        d.onUnserious();
        d.compose();
        for (const auto& [t, info] : d.getSes().getSequence()) {
            if (info.type == dtl::SES_COMMON) push(out, true, t, t);
            else if (info.type == dtl::SES_DELETE) push(out, false, t, {});
            else push(out, false, {}, t);
        }
    }
    for (std::size_t i = a.size() - tail; i < a.size(); ++i) push(out, true, a[i], a[i]);
}

std::size_t chars(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// A short unchanged run between two changes, no longer than either, is folded into them
/// (as diff-match-patch's semantic clean-up does): « le chat de ma sœur » rewritten as « la
/// souris de mon frère » reads as one phrase changed, not three words. A run holding a
/// line break stays: lines are the fiche's structure.
std::vector<chunk> fold(std::vector<chunk> in) {
    std::vector<chunk> out;
    auto biggest = [](const chunk& c) { return std::max(chars(c.from), chars(c.to)); };
    for (auto& c : in) {
        if (!c.equal && out.size() >= 2 && out.back().equal && !out[out.size() - 2].equal) {
            const auto& eq = out.back().from;
            const auto n = chars(eq);
            if (eq.find('\n') == std::string::npos && n <= biggest(out[out.size() - 2]) && n <= biggest(c)) {
                chunk eqc = std::move(out.back());
                out.pop_back();
                out.back().from += eqc.from + c.from;
                out.back().to += eqc.to + c.to;
                // The merged change may now swallow the run before it too.
                while (out.size() >= 3 && out[out.size() - 2].equal && !out[out.size() - 3].equal) {
                    const auto& prev_eq = out[out.size() - 2].from;
                    const auto m = chars(prev_eq);
                    if (prev_eq.find('\n') != std::string::npos || m > biggest(out[out.size() - 3]) || m > biggest(out.back())) break;
                    chunk last = std::move(out.back());
                    out.pop_back();
                    chunk mid = std::move(out.back());
                    out.pop_back();
                    out.back().from += mid.from + last.from;
                    out.back().to += mid.to + last.to;
                }
                continue;
            }
        }
        if (!out.empty() && out.back().equal == c.equal) {
            out.back().from += c.from;
            out.back().to += c.to;
        } else {
            out.push_back(std::move(c));
        }
    }
    return out;
}

json names(const std::vector<std::string>& codes) {
    json a = json::array();
    for (const auto& c : codes) a.push_back(c);
    return a;
}

}  // namespace

std::vector<diff_segment> diff_text(std::string_view from, std::string_view to) {
    std::vector<chunk> chunks;
    if (from == to) {
        push(chunks, true, from, to);
    } else {
        // Lines first (cheap, and what a reader follows), then word by word inside each
        // block of lines that changed.
        std::vector<chunk> by_line;
        compare_tokens(lines(from), lines(to), by_line);
        for (const auto& c : by_line) {
            if (c.equal) {
                push(chunks, true, c.from, c.to);
                continue;
            }
            if (c.from.empty() || c.to.empty()) {
                push(chunks, false, c.from, c.to);
                continue;
            }
            auto ta = tokens(c.from), tb = tokens(c.to);
            if (ta.size() + tb.size() <= word_budget) {
                compare_tokens(ta, tb, chunks);
                continue;
            }
            const auto la = lines(c.from), lb = lines(c.to);
            const auto pairs = std::min(la.size(), lb.size());
            for (std::size_t i = 0; i < pairs; ++i) {
                auto pa = tokens(la[i]), pb = tokens(lb[i]);
                if (pa.size() + pb.size() <= word_budget) compare_tokens(pa, pb, chunks);
                else push(chunks, false, la[i], lb[i]);
            }
            for (std::size_t i = pairs; i < la.size(); ++i) push(chunks, false, la[i], {});
            for (std::size_t i = pairs; i < lb.size(); ++i) push(chunks, false, {}, lb[i]);
        }
    }
    std::vector<diff_segment> out;
    for (auto& c : fold(std::move(chunks))) {
        if (c.equal) {
            out.push_back({op::equal, std::move(c.from)});
            continue;
        }
        if (!c.from.empty()) out.push_back({op::erase, std::move(c.from)});
        if (!c.to.empty()) out.push_back({op::insert, std::move(c.to)});
    }
    return out;
}

nlohmann::json compare(const content& from, const content& to) {
    json body = json::array();
    bool changed = false;
    for (auto& s : diff_text(from.body, to.body)) {
        changed = changed || s.kind != op::equal;
        body.push_back({{"op", s.kind == op::equal ? "equal" : s.kind == op::erase ? "delete" : "insert"}, {"text", std::move(s.text)}});
    }
    json fields = json::array();
    auto text_field = [&](const char* name, const std::string& a, const std::string& b) {
        if (a != b) fields.push_back({{"field", name}, {"from", a}, {"to", b}});
    };
    text_field("title", from.title, to.title);
    text_field("summary", from.summary, to.summary);
    text_field("author_name", from.author_name, to.author_name);
    text_field("date", from.date, to.date);
    if (from.region != to.region)
        fields.push_back({{"field", "region"}, {"from", from.region ? json(*from.region) : json(nullptr)},
                          {"to", to.region ? json(*to.region) : json(nullptr)}});
    auto set_field = [&](const char* name, const std::vector<std::string>& a, const std::vector<std::string>& b) {
        std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
        std::vector<std::string> added, removed;
        for (const auto& x : b)
            if (!sa.count(x)) added.push_back(x);
        for (const auto& x : a)
            if (!sb.count(x)) removed.push_back(x);
        if (!added.empty() || !removed.empty()) fields.push_back({{"field", name}, {"added", names(added)}, {"removed", names(removed)}});
    };
    set_field("phases", from.phases, to.phases);
    set_field("missions", from.missions, to.missions);
    json added = json::array(), removed = json::array(), renamed = json::array();
    for (const auto& b : to.attachments) {
        auto a = std::find_if(from.attachments.begin(), from.attachments.end(), [&](const attachment& x) { return x.sha256 == b.sha256; });
        if (a == from.attachments.end()) added.push_back({{"sha256", b.sha256}, {"name", b.name}});
        else if (a->name != b.name) renamed.push_back({{"sha256", b.sha256}, {"from", a->name}, {"to", b.name}});
    }
    for (const auto& a : from.attachments)
        if (std::none_of(to.attachments.begin(), to.attachments.end(), [&](const attachment& x) { return x.sha256 == a.sha256; }))
            removed.push_back({{"sha256", a.sha256}, {"name", a.name}});
    if (!added.empty() || !removed.empty() || !renamed.empty())
        fields.push_back({{"field", "attachments"}, {"added", added}, {"removed", removed}, {"renamed", renamed}});
    return {{"body", std::move(body)}, {"body_changed", changed}, {"fields", std::move(fields)}};
}

}  // namespace relais::library
