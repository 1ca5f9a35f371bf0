#include "sse_server/stream/member_list.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace sse_server {

member_list::~member_list()
{
    if (auto* b = heap())
        ::operator delete(b);
}

member_list::block* member_list::heap() const
{
    auto const bits = reinterpret_cast<std::uintptr_t>(word_);
    return (bits & block_bit) != 0 ? reinterpret_cast<block*>(bits & ~block_bit) : nullptr;
}

subscriber** member_list::data()
{
    auto* b = heap();
    return b ? members(b) : &word_;
}

subscriber* const* member_list::data() const
{
    auto* b = heap();
    return b ? members(b) : &word_;
}

std::size_t member_list::size() const
{
    if (auto const* b = heap())
        return b->size;
    return word_ ? 1 : 0;
}

void member_list::push_back(subscriber* s)
{
    auto* b = heap();
    if (!b && !word_) {
        word_ = s;
        return;
    }
    auto const n = size();
    if (!b || b->size == b->capacity) {
        auto const capacity = std::max<std::size_t>(4, n * 2);
        // The members follow the header, aligned: they are pointers, the size of a void*.
        static_assert(sizeof(block) % alignof(void*) == 0);
        auto* grown = static_cast<block*>(::operator new(sizeof(block) + capacity * sizeof(void*)));
        grown->size = static_cast<std::uint32_t>(n);
        grown->capacity = static_cast<std::uint32_t>(capacity);
        std::copy(begin(), end(), members(grown));
        if (b)
            ::operator delete(b);
        b = grown;
        word_ = reinterpret_cast<subscriber*>(reinterpret_cast<std::uintptr_t>(b) | block_bit);
    }
    members(b)[b->size++] = s;
}

void member_list::pop_back()
{
    if (auto* b = heap())
        --b->size; // the block stays: a list that shrank is likely to grow again
    else
        word_ = nullptr;
}

} // namespace sse_server
