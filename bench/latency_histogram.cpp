#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sse_server::bench {

// Values below 2^(sub_bits+1) get a bucket each. Above, a value with its highest bit at
// position p (p > sub_bits) lands in group p - sub_bits, split into 2^sub_bits buckets
// by the sub_bits bits that follow the highest one.
std::size_t latency_histogram::bucket_of(std::uint64_t v)
{
    constexpr std::uint64_t linear = std::uint64_t{2} << sub_bits;
    if (v < linear)
        return static_cast<std::size_t>(v);
    auto const top = static_cast<unsigned>(std::bit_width(v)) - 1;
    auto const shift = top - sub_bits;
    auto const sub = (v >> shift) & ((std::uint64_t{1} << sub_bits) - 1);
    return static_cast<std::size_t>(((shift + 1) << sub_bits) + sub);
}

std::uint64_t latency_histogram::lower_bound_of(std::size_t bucket)
{
    constexpr std::size_t linear = std::size_t{2} << sub_bits;
    if (bucket < linear)
        return bucket;
    auto const shift = (bucket >> sub_bits) - 1;
    auto const sub = bucket & ((std::size_t{1} << sub_bits) - 1);
    return ((std::uint64_t{1} << sub_bits) + sub) << shift;
}

void latency_histogram::record(std::uint64_t micros)
{
    ++buckets_[bucket_of(micros)];
    ++count_;
    sum_ += micros;
    max_ = std::max(max_, micros);
}

double latency_histogram::quantile(double q) const
{
    if (count_ == 0)
        return 0;
    auto const rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_)));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < bucket_count; ++b) {
        seen += buckets_[b];
        if (seen < rank)
            continue;
        auto const low = lower_bound_of(b);
        auto const high = b + 1 < bucket_count ? lower_bound_of(b + 1) : low + 1;
        auto const middle = (static_cast<double>(low) + static_cast<double>(high - 1)) / 2;
        return std::min(middle, static_cast<double>(max_));
    }
    return static_cast<double>(max_);
}

} // namespace sse_server::bench
