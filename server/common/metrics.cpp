#include "common/metrics.hpp"

#include <cstdio>

namespace relais::metrics {

void histogram::observe(double seconds) noexcept {
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (seconds <= bounds[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
    const std::string sep = labels.empty() ? "" : ",";
    char buf[64];
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%g", bounds[i]);
        out += name + "_bucket{" + labels + sep + "le=\"" + buf + "\"} " +
               std::to_string(buckets_[i].load(std::memory_order_relaxed)) + "\n";
    }
    out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(count()) + "\n";
    std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(sum_micros_.load()) / 1e6);
    const std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out += name + "_sum" + braces + " " + buf + "\n";
    out += name + "_count" + braces + " " + std::to_string(count()) + "\n";
}

namespace {
template <class T>
T& get_series(std::map<std::string, std::unique_ptr<T>>& m, const std::string& labels) {
    auto& p = m[labels];
    if (!p) p = std::make_unique<T>();
    return *p;
}
}  // namespace

counter& registry::get_counter(const std::string& name, const std::string& help, const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& f = families_[name];
    f.help = help;
    f.type = "counter";
    return get_series(f.counters, labels);
}

gauge& registry::get_gauge(const std::string& name, const std::string& help, const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& f = families_[name];
    f.help = help;
    f.type = "gauge";
    return get_series(f.gauges, labels);
}

histogram& registry::get_histogram(const std::string& name, const std::string& help, const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& f = families_[name];
    f.help = help;
    f.type = "histogram";
    return get_series(f.histograms, labels);
}

std::string registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
        auto braces = [](const std::string& l) { return l.empty() ? std::string() : "{" + l + "}"; };
        for (const auto& [l, c] : f.counters) out += name + braces(l) + " " + std::to_string(c->value()) + "\n";
        for (const auto& [l, g] : f.gauges) out += name + braces(l) + " " + std::to_string(g->value()) + "\n";
        for (const auto& [l, h] : f.histograms) h->render(out, name, l);
    }
    return out;
}

std::string labels(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
    std::string out;
    for (const auto& [k, v] : kv) {
        if (!out.empty()) out += ',';
        out.append(k);
        out += "=\"";
        for (char c : v) {
            if (c == '\\' || c == '"') out += '\\';
            if (c == '\n') { out += "\\n"; continue; }
            out += c;
        }
        out += '"';
    }
    return out;
}

}  // namespace relais::metrics
