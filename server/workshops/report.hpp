#pragma once
// The compte rendu of a workshop: Markdown (kept), a printable HTML page made from
// it, and CSV files of the action items and the indicators.
#include "common/markup.hpp"
#include "workshops/model.hpp"
#include "workshops/store.hpp"

#include <string>
#include <vector>

namespace relais::workshops {

/// `participants`: who was present; `absent`: who was invited or enrolled and did not come
/// (each line as it is printed, in the order given).
store::report_row make_report(const store::workshop_row& w, const room_state& s,
                              const std::vector<std::string>& participants, std::int64_t now,
                              const std::vector<std::string>& absent = {});

/// Renders the Markdown subset make_report writes (headings, lists, tables, bold)
/// as a standalone printable page. Everything is escaped.
std::string report_html(const std::string& title, const std::string& markdown);

/// One CSV field: common/markup.hpp.
using relais::csv_field;

}  // namespace relais::workshops
