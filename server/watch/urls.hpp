#pragma once
// URLs of feeds and items: resolution, safety, normalisation for deduplication.
#include <string>
#include <string_view>

namespace relais::watch {

/// RFC 3986 resolution of `ref` against `base`. Tabs and newlines are removed and leading or
/// trailing controls and spaces trimmed (as browsers do); '\' is '/' in http(s) URLs; bytes
/// that cannot appear in a URL (spaces, non-ASCII, quotes...) are percent-encoded; the scheme
/// is lower-cased. An absolute ref needs no base; a relative ref with a base that has no
/// scheme gives "".
std::string resolve_url(const std::string& base, const std::string& ref);

/// resolve_url(), kept only when the result is an http(s) URL with a host (or mailto: when
/// allow_mailto): javascript:, data:, vbscript:, file:... give "". An empty or blank ref
/// gives "" too (not the base itself).
std::string safe_url(const std::string& base, const std::string& ref, bool allow_mailto = false);

/// A key for "the same page" across feeds: https for http, lower-case host, no default port,
/// no user info, no fragment, no tracking parameters (utm_*, at_*, fbclid, gclid, mc_cid,
/// mc_eid, xtor...), the other query parameters sorted, no trailing '/' (but "/" kept).
/// Other schemes are returned trimmed, without fragment.
std::string normalise_url(const std::string& url);

/// Percent-encodes everything but RFC 3986's unreserved characters (for a query value).
std::string url_encode_component(std::string_view s);

}  // namespace relais::watch
