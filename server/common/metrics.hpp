#pragma once
// A small Prometheus registry: counters, gauges and histograms with fixed label
// sets, lock-free on the hot path once a series exists.
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace relais::metrics {

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }
private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
public:
    void add(std::int64_t n) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    void set(std::int64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
    std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }
private:
    std::atomic<std::int64_t> value_{0};
};

/// Latency histogram in seconds with fixed buckets (0.5 ms .. 5 s).
class histogram {
public:
    static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
    void observe(double seconds) noexcept;
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
    void render(std::string& out, const std::string& name, const std::string& labels) const;
private:
    std::array<std::atomic<std::uint64_t>, bounds.size()> buckets_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_micros_{0};
};

/// Owns every series. Series are created on first use and live as long as the registry.
class registry {
public:
    counter& get_counter(const std::string& name, const std::string& help, const std::string& labels = {});
    gauge& get_gauge(const std::string& name, const std::string& help, const std::string& labels = {});
    histogram& get_histogram(const std::string& name, const std::string& help, const std::string& labels = {});

    /// Prometheus text exposition format 0.0.4.
    std::string render() const;

private:
    struct family {
        std::string help;
        std::string type;
        std::map<std::string, std::unique_ptr<counter>> counters;
        std::map<std::string, std::unique_ptr<gauge>> gauges;
        std::map<std::string, std::unique_ptr<histogram>> histograms;
    };
    mutable std::mutex mutex_;
    std::map<std::string, family> families_;
};

/// Formats a label set: labels({{"route","/api/me"},{"status","200"}}) -> route="/api/me",status="200"
std::string labels(std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

}  // namespace relais::metrics
