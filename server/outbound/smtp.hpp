#pragma once
// Sending e-mail through an SMTP relay (libcurl's SMTP). Blocking: call it from a
// worker thread, never a network thread.
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace relais::outbound {

enum class smtp_tls {
    none,      ///< plain text, password included: only for a relay on the same machine
    starttls,  ///< smtp:// then STARTTLS, required (no plain-text fallback); usually port 587
    tls,       ///< smtps://, TLS from the first byte; usually port 465
};

/// The relay and the sender, from the server's configuration.
struct smtp_settings {
    std::string host;
    int port = 587;
    smtp_tls tls = smtp_tls::starttls;
    std::string username;  ///< AUTH when not empty
    std::string password;
    std::string from_address;
    std::string from_name;
    std::string helo_domain;  ///< the EHLO argument; empty: the machine's host name
    std::string ca_file;      ///< replaces the system CA bundle; certificates are always verified
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{60'000};  ///< the whole exchange
};

/// One message to one recipient; text in UTF-8.
struct email {
    std::string to;
    std::string to_name;
    std::string subject;
    std::string text_body;
    std::optional<std::string> html_body;  ///< sent as multipart/alternative with the text
    std::optional<std::string> reply_to;
};

/// Why a message was not sent: a stable code, a French message for people, and whether
/// trying again later may succeed.
class smtp_error : public std::runtime_error {
public:
    enum class kind { invalid_message, connect, tls, auth, timeout, rejected, protocol };

    smtp_error(kind k, bool permanent, int smtp_code, const std::string& message, std::string detail = {});
    /// What send_result::error() returns on a success; never a real failure.
    smtp_error() : smtp_error(kind::protocol, false, 0, "Aucune erreur.") {}

    kind which() const noexcept { return kind_; }
    std::string_view code() const noexcept;  ///< "rejected", ...
    std::string_view message() const noexcept { return what(); }
    const std::string& detail() const noexcept { return detail_; }  ///< technical, for logs
    /// 5xx replies and invalid messages; 4xx replies and failures to talk to the relay are
    /// transient.
    bool permanent() const noexcept { return permanent_; }
    int smtp_code() const noexcept { return smtp_code_; }  ///< the relay's reply code, 0 when unknown

private:
    kind kind_;
    bool permanent_;
    int smtp_code_;
    std::string detail_;
};

/// Lets send_result::value() throw the error itself.
[[noreturn]] void throw_exception_from_error(const smtp_error& e, const boost::source_location& loc);

using send_result = boost::system::result<void, smtp_error>;

/// A strict check of a plain address, "local@domain.tld": at most 254 bytes, ASCII, one
/// @, a dot-atom local part, a domain of LDH labels with a dot; no quoted local parts,
/// no address literals, no display names, no spaces or controls.
bool valid_email(std::string_view address) noexcept;

/// The message as sent (RFC 5322 and MIME, CRLF line endings): Date, Message-ID, From,
/// To, Subject (RFC 2047 when needed), quoted-printable UTF-8 bodies. Expects valid
/// addresses (send() checks them).
std::string build_message(const smtp_settings& settings, const email& message);

class smtp_client {
public:
    /// Throws std::invalid_argument for a missing host, a bad port or an invalid sender.
    explicit smtp_client(smtp_settings settings);

    /// One connection per message; safe to call from several threads at once.
    send_result send(const email& message) const;

    const smtp_settings& settings() const noexcept { return settings_; }

private:
    smtp_settings settings_;
};

}  // namespace relais::outbound
