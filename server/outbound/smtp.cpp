#include "outbound/smtp.hpp"

#include "common/time.hpp"
#include "common/utf8.hpp"
#include "outbound/curl.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

namespace relais::outbound {
namespace {

using smtp_kind = smtp_error::kind;

constexpr char hex_digits[] = "0123456789ABCDEF";

bool ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool atext(char c) {
    return ascii_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

/// Letters, digits, hyphens and dots: a host name or a domain as it may appear in a URL.
bool ldh_text(std::string_view s) {
    auto ldh = [](char c) { return ascii_alnum(c) || c == '-' || c == '.'; };
    return !s.empty() && std::all_of(s.begin(), s.end(), ldh);
}

std::string rfc5322_date(std::int64_t unix_seconds) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string random_hex(std::size_t bytes) {
    std::random_device rd;
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        auto v = rd() & 0xffu;
        out += hex_digits[v >> 4];
        out += hex_digits[v & 15];
    }
    return out;
}

std::string base64(std::string_view in) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t n = std::uint32_t{static_cast<unsigned char>(in[i])} << 16;
        if (i + 1 < in.size()) n |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
        if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
        out += table[n >> 18 & 63];
        out += table[n >> 12 & 63];
        out += i + 1 < in.size() ? table[n >> 6 & 63] : '=';
        out += i + 2 < in.size() ? table[n & 63] : '=';
    }
    return out;
}

/// Header text is one line: controls, line breaks included, become spaces.
std::string one_line(std::string_view s) {
    std::string out(s);
    auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
    std::replace_if(out.begin(), out.end(), control, ' ');
    auto first = out.find_first_not_of(' ');
    if (first == out.npos) return {};
    return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

bool printable_ascii(std::string_view s) {
    return s.find("=?") == s.npos && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

/// RFC 2047 encoded words, "=?UTF-8?B?...?=", folded onto continuation lines. At most
/// 39 bytes (52 base64 characters) a word, so that "Subject: " and a word fit in 76
/// characters; a UTF-8 sequence is never cut between two words.
std::string encoded_words(std::string_view s) {
    std::string out;
    while (!s.empty()) {
        std::size_t n = std::min<std::size_t>(39, s.size());
        while (n > 1 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(s.substr(0, n)) + "?=";
        s.remove_prefix(n);
    }
    return out;
}

/// An unstructured header value (Subject): as is when short printable ASCII, else encoded.
std::string header_text(std::string_view s) {
    std::string t = one_line(s);
    return printable_ascii(t) && t.size() <= 66 ? t : encoded_words(t);
}

/// "Field: Name <address>", the name quoted or encoded, folded before the address when
/// the line would pass 76 characters.
std::string address_header(std::string_view field, std::string_view name, std::string_view address) {
    std::string out = std::string(field) + ": ";
    std::string n = one_line(name);
    if (n.empty()) return out + std::string(address);
    if (printable_ascii(n) && n.size() <= 60) {
        out += '"';
        for (char c : n) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    } else {
        out += encoded_words(n);
    }
    auto line_start = out.rfind("\r\n");
    std::size_t column = line_start == out.npos ? out.size() : out.size() - line_start - 2;
    out += column + address.size() + 3 > 76 ? "\r\n <" : " <";
    return (out += address) += '>';
}

/// Quoted-printable (RFC 2045) with CRLF line endings; lines of at most 76 characters.
std::string quoted_printable(std::string_view text) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        std::string_view line = text.substr(pos, eol == text.npos ? text.npos : eol - pos);
        pos = eol == text.npos ? text.size() : eol + 1;
        if (line.ends_with('\r')) line.remove_suffix(1);
        std::size_t column = 0;
        for (std::size_t i = 0; i < line.size(); ++i) {
            auto c = static_cast<unsigned char>(line[i]);
            // Spaces are literal unless they end the line, where transport may strip them.
            bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && i + 1 < line.size());
            std::size_t width = literal ? 1 : 3;
            if (column + width > 75) {
                out += "=\r\n";  // soft line break
                column = 0;
            }
            if (literal) {
                out += static_cast<char>(c);
            } else {
                out += '=';
                out += hex_digits[c >> 4];
                out += hex_digits[c & 15];
            }
            column += width;
        }
        out += "\r\n";
    }
    return out;
}

std::string text_part(std::string_view subtype, std::string_view body) {
    return "Content-Type: text/" + std::string(subtype) +
           "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + quoted_printable(body);
}

smtp_error failure(CURLcode rc, long reply, const smtp_settings& s, std::string detail) {
    int code = reply >= 400 && reply < 600 ? static_cast<int>(reply) : 0;  // else a success of an earlier step
    bool permanent = code >= 500;
    if (rc == CURLE_LOGIN_DENIED)
        return {smtp_kind::auth, permanent, code,
                "Le serveur d'envoi des e-mails a refusé l'identifiant ou le mot de passe.", detail};
    if (detail::is_tls_error(rc))
        return {smtp_kind::tls, permanent, code, "La connexion chiffrée au serveur d'envoi des e-mails a échoué.", detail};
    if (code != 0) {
        auto c = std::to_string(code);
        return {smtp_kind::rejected, permanent, code,
                permanent ? "Le serveur d'envoi des e-mails a refusé le message (code " + c + ")."
                          : "Le serveur d'envoi des e-mails a refusé le message pour le moment (code " + c +
                                ") : un nouvel essai plus tard peut réussir.",
                detail};
    }
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: return {smtp_kind::connect, false, 0, "Le serveur d'envoi des e-mails est injoignable.", detail};
    case CURLE_OPERATION_TIMEDOUT:
        return {smtp_kind::timeout, false, 0,
                "Le serveur d'envoi des e-mails n'a pas répondu à temps (" + detail::seconds_text(s.timeout) + ").",
                detail};
    default: return {smtp_kind::protocol, false, 0, "Réponse inattendue du serveur d'envoi des e-mails.", detail};
    }
}

}  // namespace

smtp_error::smtp_error(kind k, bool permanent, int smtp_code, const std::string& message, std::string detail)
    : std::runtime_error(message), kind_(k), permanent_(permanent), smtp_code_(smtp_code), detail_(std::move(detail)) {}

std::string_view smtp_error::code() const noexcept {
    static constexpr std::string_view codes[] = {"invalid_message", "connect",  "tls",     "auth",
                                                 "timeout",         "rejected", "protocol"};
    return codes[static_cast<int>(kind_)];
}

void throw_exception_from_error(const smtp_error& e, const boost::source_location&) {
    throw e;
}

bool valid_email(std::string_view a) noexcept {
    auto at = a.find('@');
    if (a.size() > 254 || at == a.npos || at == 0 || at > 64 || a.find('@', at + 1) != a.npos) return false;
    auto local = a.substr(0, at);
    auto domain = a.substr(at + 1);
    if (local.front() == '.' || local.back() == '.' || local.find("..") != local.npos ||
        !std::all_of(local.begin(), local.end(), [](char c) { return c == '.' || atext(c); }))
        return false;
    if (domain.size() > 253 || domain.find('.') == domain.npos) return false;
    std::string_view label;
    while (!domain.empty()) {
        auto dot = domain.find('.');
        label = domain.substr(0, dot);
        domain = dot == domain.npos ? std::string_view{} : domain.substr(dot + 1);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !std::all_of(label.begin(), label.end(), [](char c) { return ascii_alnum(c) || c == '-'; }))
            return false;
        if (dot != std::string_view::npos && domain.empty()) return false;  // trailing dot
    }
    // A top-level domain has a letter: "1.2.3.4" is not a domain.
    return std::any_of(label.begin(), label.end(), [](char c) { return !(c >= '0' && c <= '9') && c != '-'; });
}

std::string build_message(const smtp_settings& s, const email& m) {
    std::string domain = s.from_address.substr(s.from_address.rfind('@') + 1);
    std::string out;
    auto line = [&](const std::string& l) { (out += l) += "\r\n"; };
    line("Date: " + rfc5322_date(unix_now()));
    line(address_header("From", s.from_name, s.from_address));
    line(address_header("To", m.to_name, m.to));
    if (m.reply_to) line("Reply-To: " + *m.reply_to);
    line("Subject: " + header_text(m.subject));
    line("Message-ID: <" + random_hex(16) + "@" + domain + ">");
    line("MIME-Version: 1.0");
    if (!m.html_body) {
        out += text_part("plain", m.text_body);
        return out;
    }
    // "=_" never occurs in quoted-printable text, where '=' is always followed by hex digits.
    std::string boundary = "=_relais_" + random_hex(12);
    line("Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"");
    line("");
    line("--" + boundary);
    out += text_part("plain", m.text_body);
    line("\r\n--" + boundary);
    out += text_part("html", *m.html_body);
    line("\r\n--" + boundary + "--");
    return out;
}

smtp_client::smtp_client(smtp_settings settings) : settings_(std::move(settings)) {
    const auto& s = settings_;
    bool host_ok = !s.host.empty() && std::all_of(s.host.begin(), s.host.end(), [](char c) {
        return ascii_alnum(c) || c == '-' || c == '.' || c == ':';  // ':' for IPv6 literals
    });
    if (!host_ok || s.port < 1 || s.port > 65535) throw std::invalid_argument("smtp: invalid host or port");
    if (!valid_email(s.from_address)) throw std::invalid_argument("smtp: invalid sender address");
    if (!s.helo_domain.empty() && !ldh_text(s.helo_domain)) throw std::invalid_argument("smtp: invalid helo domain");
    if (!is_valid_utf8(s.from_name)) throw std::invalid_argument("smtp: sender name is not UTF-8");
}

send_result smtp_client::send(const email& m) const {
    const auto& s = settings_;
    auto invalid = [](const std::string& message, std::string detail) {
        return smtp_error(smtp_kind::invalid_message, true, 0, message, std::move(detail));
    };
    if (!valid_email(m.to)) return invalid("L'adresse e-mail du destinataire est invalide.", "to");
    if (m.reply_to && !valid_email(*m.reply_to))
        return invalid("L'adresse e-mail de réponse est invalide.", "reply_to");
    if (!is_valid_utf8(m.to_name) || !is_valid_utf8(m.subject) || !is_valid_utf8(m.text_body) ||
        (m.html_body && !is_valid_utf8(*m.html_body)))
        return invalid("Le message contient du texte qui n'est pas de l'UTF-8 valide.", "utf8");

    struct reader {
        std::string data;
        std::size_t sent = 0;
    } r{build_message(s, m)};
    auto read = [](char* buffer, std::size_t size, std::size_t count, void* p) -> std::size_t {
        auto& rd = *static_cast<reader*>(p);
        std::size_t n = std::min(size * count, rd.data.size() - rd.sent);
        std::copy_n(rd.data.data() + rd.sent, n, buffer);
        rd.sent += n;
        return n;
    };

    auto easy = detail::new_easy();
    CURL* h = easy.get();
    char error[CURL_ERROR_SIZE];
    detail::set_common_options(h, s.ca_file, error);
    bool bracket = s.host.find(':') != std::string::npos;
    std::string url = (s.tls == smtp_tls::tls ? "smtps://" : "smtp://") + std::string(bracket ? "[" : "") + s.host +
                      (bracket ? "]" : "") + ":" + std::to_string(s.port) + "/" + s.helo_domain;
    std::string from = "<" + s.from_address + ">";
    detail::slist recipients;
    detail::append(recipients, "<" + m.to + ">");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    auto use_ssl = s.tls == smtp_tls::none ? CURLUSESSL_NONE : CURLUSESSL_ALL;
    curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(use_ssl));
    if (!s.username.empty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, s.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, s.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);  // curl dot-stuffs and ends with CRLF.CRLF
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.data.size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, static_cast<curl_read_callback>(read));
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(s.timeout.count()));
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) return {};
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    return failure(rc, reply, s, error[0] ? error : curl_easy_strerror(rc));
}

}  // namespace relais::outbound
