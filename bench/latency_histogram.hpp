#pragma once

#include <array>
#include <cstdint>

namespace sse_server::bench {

/** Latencies in microseconds, in log-linear buckets: exact below 128 µs, within 1/64
    (1.6 %) above, for any count in a fixed 30 KiB. The maximum is kept exactly. */
class latency_histogram
{
public:
    void record(std::uint64_t micros);

    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
    /** The value at quantile `q` (0..1), as the middle of its bucket; 0 when empty. */
    double quantile(double q) const;

private:
    static constexpr unsigned sub_bits = 6; // 64 buckets per power of two
    static constexpr std::size_t bucket_count = (64 - sub_bits + 1) << sub_bits;

    static std::size_t bucket_of(std::uint64_t v);
    static std::uint64_t lower_bound_of(std::size_t bucket);

    std::array<std::uint64_t, bucket_count> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
};

} // namespace sse_server::bench
