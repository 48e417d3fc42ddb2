// The HTML sanitiser: allowlist, URLs, images, bounds, and the classic XSS vectors.
#include "common/utf8.hpp"
#include "watch/sanitize.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace relais;
using namespace relais::watch;

namespace {

sanitize_options base_opts() {
    sanitize_options o;
    o.base_url = "https://site.example.org/dir/page.html";
    return o;
}

std::string clean(std::string_view html) { return sanitize_html(html, base_opts()); }

/// Lower-cased, for looking for payload fragments whatever their case.
std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return s;
}

/// Every URL attribute of the output is absolute http(s) or mailto.
bool urls_are_safe(const std::string& html) {
    for (const char* attr : {"href=\"", "src=\"", "cite=\""}) {
        for (std::size_t p = html.find(attr); p != std::string::npos; p = html.find(attr, p + 1)) {
            std::string_view v = std::string_view(html).substr(p + std::strlen(attr));
            if (!v.starts_with("https://") && !v.starts_with("http://") && !v.starts_with("mailto:") &&
                !v.starts_with("/api/watch/image?u=https%3a%2f%2f") && !v.starts_with("/api/watch/image?u=http%3a%2f%2f"))
                return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("sanitiser: allowed elements and attributes", "[watch][sanitize]") {
    CHECK(clean("<p>Un <strong>texte</strong> <em>simple</em></p>") == "<p>Un <strong>texte</strong> <em>simple</em></p>");
    CHECK(clean("<p class=\"x\" id=\"y\" style=\"color:red\" onclick=\"f()\">a</p>") == "<p>a</p>");
    CHECK(clean("<a href=\"/x\" title=\"T\" target=\"_blank\">l</a>") ==
          "<a href=\"https://site.example.org/x\" rel=\"noopener noreferrer nofollow\" title=\"T\">l</a>");
    CHECK(clean("<a href=\"mailto:a@example.org\">m</a>") ==
          "<a href=\"mailto:a@example.org\" rel=\"noopener noreferrer nofollow\">m</a>");
    CHECK(clean("<table><tr><td colspan=\"2\" rowspan=\"x\">c</td></tr></table>") ==
          "<table><tr><td colspan=\"2\">c</td></tr></table>");
    CHECK(clean("<blockquote cite=\"javascript:x\">q</blockquote>") == "<blockquote>q</blockquote>");
    CHECK(clean("<q cite=\"src.html\">q</q>") == "<q cite=\"https://site.example.org/dir/src.html\">q</q>");
    CHECK(clean("<abbr title=\"Communauté\">CPTS</abbr>") == "<abbr title=\"Communauté\">CPTS</abbr>");
    CHECK(clean("a<br>b<hr>") == "a<br>b<hr>");
    // Unknown elements: tags dropped, text kept; blocks stay apart.
    CHECK(clean("<font color=red>rouge</font><div>un</div><div>deux</div>") == "rouge\nun\ndeux");
    // Dropped with their content.
    CHECK(clean("avant<script>alert(1)</script><style>p{}</style><noscript>ns</noscript><template>t</template>après") ==
          "avantaprès");
    CHECK(clean("<form><input value=v><textarea>ta</textarea><select><option>o</option></select><button>b</button></form>ok") ==
          "ok");
    // Escaping of text.
    CHECK(clean("1 &lt; 2 &amp;&amp; 3 &gt; 2 \"q\"") == "1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;q&quot;");
    CHECK(clean("") == "");
    // A charset declared inside the fragment does not change how it is read.
    CHECK(clean("<meta charset=\"iso-8859-1\">été") == "été");
}

TEST_CASE("sanitiser: images per policy", "[watch][sanitize]") {
    const char* html =
        "<p><img src=\"/i.png\" alt=\"Carte\" width=\"10\" height=\"x\" onerror=\"alert(1)\"><img src=\"/j.png\"></p>";
    auto o = base_opts();
    CHECK(sanitize_html(html, o) == "<p>[Carte]</p>");
    o.images = image_policy::keep;
    CHECK(sanitize_html(html, o) ==
          "<p><img src=\"https://site.example.org/i.png\" alt=\"Carte\" width=\"10\"><img "
          "src=\"https://site.example.org/j.png\"></p>");
    o.images = image_policy::proxy;
    o.image_proxy_prefix = "/api/watch/image?u=";
    o.image_proxy_key = "clé de test";
    const std::string sig = image_signature("clé de test", "https://site.example.org/i.png");
    CHECK(sig.size() == 32);
    CHECK(sig != image_signature("autre clé", "https://site.example.org/i.png"));
    CHECK(sig != image_signature("clé de test", "https://site.example.org/j.png"));
    CHECK(sanitize_html(html, o).starts_with("<p><img src=\"/api/watch/image?u=https%3A%2F%2Fsite.example.org%2Fi.png&amp;s=" +
                                             sig + "\" alt=\"Carte\" width=\"10\">"));
    o.image_proxy_prefix.clear();  // no proxy to send them to: blocked
    CHECK(sanitize_html(html, o) == "<p>[Carte]</p>");
    o.images = image_policy::keep;
    CHECK(sanitize_html("<img src=\"javascript:alert(1)\" alt=\"a\"><img src=\"data:image/png;base64,AAAA\">", o) == "[a]");
}

TEST_CASE("sanitiser: OWASP XSS vectors", "[watch][sanitize][security]") {
    // From the OWASP XSS Filter Evasion Cheat Sheet, and a few more.
    const char* vectors[] = {
        "<script>alert('XSS')</script>",
        "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<IMG SRC=javascript:alert('XSS')>",
        "<IMG SRC=JaVaScRiPt:alert('XSS')>",
        "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
        "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
        "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
        "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
        "<img src=x "
        "onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#"
        "0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
        "<a "
        "href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#"
        "83;&#39;&#41;\">x</a>",
        "<a "
        "href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#"
        "x29\">x</a>",
        "<a href=\"jav\tascript:alert('XSS');\">x</a>",
        "<a href=\"jav&#x09;ascript:alert('XSS');\">x</a>",
        "<a href=\"jav&#x0A;ascript:alert('XSS');\">x</a>",
        "<a href=\"jav&#x0D;ascript:alert('XSS');\">x</a>",
        "<a href=\" &#14;  javascript:alert('XSS');\">x</a>",
        "<a href=\"java\0script:alert(1)\">x</a>",
        "<SCRIPT/XSS SRC=\"http://xss.example/xss.js\"></SCRIPT>",
        "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
        "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
        "<SCRIPT SRC=//xss.example/.j>",
        "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
        "<iframe src=http://xss.example/scriptlet.html <",
        "\\\";alert('XSS');//",
        "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
        "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
        "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
        "<IMG DYNSRC=\"javascript:alert('XSS')\">",
        "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
        "<svg/onload=alert('XSS')>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<BODY ONLOAD=alert('XSS')>",
        "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
        "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
        "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K\">",
        "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
        "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
        "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
        "<TD BACKGROUND=\"javascript:alert('XSS')\">",
        "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
        "<DIV STYLE=\"width: expression(alert('XSS'));\">",
        "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
        "<BASE HREF=\"javascript:alert('XSS');//\">",
        "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.example/scriptlet.html\"></OBJECT>",
        "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH\" type=\"image/svg+xml\" "
        "AllowScriptAccess=\"always\"></EMBED>",
        "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
        "<a href=\"vbscript:msgbox(1)\">v</a>",
        "<a href=\"file:///etc/passwd\">f</a>",
        "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
        "<a href=\"javascript&colon;alert(1)\">c</a>",
        "<a href=\"\x01javascript:alert(1)\">c</a>",
        "<details open ontoggle=alert(1)>",
        "<video><source onerror=\"alert(1)\">",
        "<p title=\"</p><script>alert(1)</script>\">t</p>",
        "<a href=\"https://ok.example/\" onclick=\"alert(1)\" style=\"x\">ok</a>",
        "<xss onafterscriptexecute=alert(1)><script>1</script>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "<template><img src=x onerror=alert(1)></template>",
    };
    auto o = base_opts();
    o.image_proxy_prefix = "/api/watch/image?u=";
    o.image_proxy_key = "k";
    for (auto policy : {image_policy::block, image_policy::keep, image_policy::proxy}) {
        o.images = policy;
        for (const char* v : vectors) {
            std::string out = lower(sanitize_html(v, o));
            INFO(v << "\n-> " << out);
            CHECK(is_valid_utf8(out));
            CHECK(urls_are_safe(out));
            for (const char* bad : {"<script", "expression(", " on", "style", "<svg", "<math", "<iframe", "<frame", "<object",
                                    "<embed", "<base", "<meta", "<link", "<input", "<body", "background", "dynsrc", "<style"})
                CHECK(out.find(bad) == std::string::npos);
            // Idempotent: what comes out is already clean (proxied images would be proxied again).
            if (policy != image_policy::proxy) CHECK(lower(sanitize_html(out, o)) == out);
        }
    }
    // Attribute text that looks like markup stays an attribute value, escaped.
    CHECK(clean("<p><abbr title='\"><script>x</script>'>a</abbr></p>") ==
          "<p><abbr title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">a</abbr></p>");
}

TEST_CASE("sanitiser: depth and size bounds", "[watch][sanitize]") {
    std::string deep;
    for (int i = 0; i < 100'000; ++i) deep += "<div><span>";
    deep += "fond";
    auto out = clean(deep);
    CHECK(out.size() < 1'000);
    std::string nested;
    for (int i = 0; i < 100; ++i) nested += "<blockquote>";
    nested += "x";
    out = clean(nested);
    std::size_t opened = 0;
    for (std::size_t p = out.find("<blockquote>"); p != std::string::npos; p = out.find("<blockquote>", p + 1)) ++opened;
    CHECK(opened == 32);
    CHECK(out.find("x") != std::string::npos);

    auto o = base_opts();
    o.max_bytes = 100;
    std::string long_html;
    for (int i = 0; i < 50; ++i) long_html += "<p>été <em>été</em></p>";
    bool truncated = false;
    out = sanitize_html(long_html, o, &truncated);
    CHECK(truncated);
    CHECK(out.size() <= 100);
    CHECK(is_valid_utf8(out));
    CHECK(out.ends_with("</p>"));
    std::string replacement;
    for (int i = 0; i < 10; ++i) replacement += "\xEF\xBF\xBD";
    CHECK(clean(std::string(10, '\xff')) == replacement);
}

TEST_CASE("html_to_text", "[watch][sanitize]") {
    CHECK(html_to_text("<p>Un&nbsp;<b>deux</b></p><p>trois<script>x</script></p>") == "Un deux trois");
    CHECK(html_to_text("a<br>b") == "a b");
    CHECK(html_to_text("&lt;b&gt;échappé&lt;/b&gt;") == "<b>échappé</b>");
    CHECK(html_to_text(std::string(100, 'x'), 10) == std::string(10, 'x'));
    CHECK(html_to_text("éééé", 3) == "é");
}

TEST_CASE("sanitiser: the text read in the same parse is html_to_text of the result", "[watch][sanitize]") {
    // The parser's fast paths (one parse for HTML and text, no parse for text without
    // markup) give what the general path gives.
    const char* inputs[] = {
        "<p>Un&nbsp;<b>deux</b></p><p>trois<script>x</script></p>",
        "<div>bloc<section>autre</section></div>suite<br>fin",
        "<ul><li>un</li><li>deux</li></ul><table><tr><td>a</td><td>b</td></tr></table>",
        "<p><img src=\"/i.png\" alt=\"illustration\"> <strong>Gras</strong> et <a href=\"/x\">lien</a></p>",
        "Texte brut sans balise,\r\n sur deux lignes\t avec des   espaces",
        "Texte brut avec l'apostrophe et des \"guillemets\"",
        "  ",
        "\xff\xfe invalide",
        "<p>é</p><p>à\u00a0ç</p><style>p{}</style><iframe>x</iframe>",
    };
    for (const char* in : inputs) {
        INFO(in);
        std::string text;
        bool cut = true;
        std::string html = sanitize_html(in, base_opts(), &cut, &text);
        CHECK_FALSE(cut);
        CHECK(html == sanitize_html(in, base_opts()));
        CHECK(text == html_to_text(html));
        CHECK(is_valid_utf8(html));
    }
    // Cut: the text stops where the HTML stopped.
    sanitize_options small = base_opts();
    small.max_bytes = 40;
    std::string text;
    bool cut = false;
    std::string html = sanitize_html("<p>" + std::string(100, 'a') + "</p><p>" + std::string(100, 'b') + "</p>", small, &cut, &text);
    CHECK(cut);
    CHECK(html.size() <= 40);
    CHECK(text == html_to_text(html));
    // Plain text that escaping makes longer than the limit is cut, never into an entity.
    html = sanitize_html(std::string(30, 'x') + std::string(10, '\''), small, &cut, &text);
    CHECK(cut);
    CHECK(html.size() <= 40);
    CHECK(html.starts_with(std::string(30, 'x')));
    CHECK((html.size() - 30) % 5 == 0);  // whole "&#39;" only
}

TEST_CASE("text_to_html", "[watch][sanitize]") {
    std::string text;
    bool cut = true;
    CHECK(text_to_html("  a < b & c's \"d\"  ", 1000, &cut, &text) == "a &lt; b &amp; c&#39;s &quot;d&quot;");
    CHECK_FALSE(cut);
    CHECK(text == "a < b & c's \"d\"");
    CHECK(text_to_html("a\xff", 1000) == "a\xEF\xBF\xBD");
    CHECK(text_to_html("éééé", 5, &cut) == "éé");
    CHECK(cut);
    CHECK(text_to_html("ab<", 5, &cut) == "ab");  // "ab&lt;" would be 6 bytes: the entity is not cut
    CHECK(cut);
}
