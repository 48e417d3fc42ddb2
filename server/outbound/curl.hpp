#pragma once
// libcurl plumbing shared by the HTTP and SMTP clients; not part of the module's API.
#include <chrono>
#include <memory>
#include <string>

#include <curl/curl.h>

namespace relais::outbound::detail {

struct easy_deleter {
    void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct slist_deleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct url_deleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
using easy_handle = std::unique_ptr<CURL, easy_deleter>;
using slist = std::unique_ptr<curl_slist, slist_deleter>;
using url_handle = std::unique_ptr<CURLU, url_deleter>;

/// A new easy handle; initialises libcurl once per process first. Throws std::bad_alloc.
easy_handle new_easy();

/// Appends a line to a curl string list. Throws std::bad_alloc.
void append(slist& list, const std::string& line);

/// Options every transfer gets: no signals (worker threads), no proxy from the
/// environment, TLS 1.2 or later with peer and host verification, an error buffer.
void set_common_options(CURL* h, const std::string& ca_file, char* error_buffer);

/// True for the errors of the TLS layer (handshake, certificate, CA file).
bool is_tls_error(CURLcode rc) noexcept;

/// A duration as a French reader writes it: "30 s", "0,5 s".
std::string seconds_text(std::chrono::milliseconds d);

}  // namespace relais::outbound::detail
