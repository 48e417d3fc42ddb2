#pragma once
// Helpers shared by the library module's service and routes (not for other modules).
#include "library/service.hpp"

#include <optional>
#include <string>
#include <vector>

namespace relais::library::detail {

using auth::access;
using auth::principal;
using net::request;
using net::response;

bool is_reviewer(const principal& p);
bool may_read_latest(const principal& p, const item& it);
/// A query parameter, or nullptr when absent or empty.
const std::string* query_param(const request& req, const char* name);
std::vector<std::string> split_commas(const std::string& s);
long long int_param(const request& req, const char* name, long long fallback, long long lo, long long hi, const error_def& err);
bool valid_date(const std::string& d);
std::int64_t date_to_unix(const std::string& d, bool end_of_day);
std::string today();
json labels(const std::vector<code_label>& set);
std::vector<std::string> code_list(const json& body, const char* field, const std::vector<code_label>& set);
std::string region_name(const std::optional<std::string>& code);
std::string content_disposition(const std::string& name);
std::int64_t reviewed_version(const json& body);
json listed_json(const store::listed& l);

}  // namespace relais::library::detail
