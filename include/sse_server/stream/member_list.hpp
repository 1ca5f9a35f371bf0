#pragma once

#include <cstddef>
#include <cstdint>

namespace sse_server {

class subscriber;

/** The streams of one name, user or group in the registry, in no order: a vector of
    pointers in one word. Most users hold one stream: the word is then that stream, and the
    user's index entry needs no allocation of its own (a std::vector would take one of 32
    bytes per user, and 16 more bytes in the entry). Past one member the word points at a
    block holding the size, the capacity and the members. Not copyable: the registry's slots
    point at it. */
class member_list
{
public:
    member_list() = default;
    ~member_list();
    member_list(member_list const&) = delete;
    member_list& operator=(member_list const&) = delete;

    subscriber** begin() { return data(); }
    subscriber** end() { return data() + size(); }
    subscriber* const* begin() const { return data(); }
    subscriber* const* end() const { return data() + size(); }
    std::size_t size() const;
    bool empty() const { return size() == 0; }
    subscriber*& operator[](std::size_t i) { return data()[i]; }
    subscriber* back() const { return data()[size() - 1]; }

    void push_back(subscriber* s);
    void pop_back();

private:
    struct block // followed by `capacity` members, allocated with it
    {
        std::uint32_t size;
        std::uint32_t capacity;
    };
    // A subscriber is aligned to 8 bytes, so its address never has the low bit set: the bit
    // set says the word is a block.
    static constexpr std::uintptr_t block_bit = 1;

    block* heap() const;
    static subscriber** members(block* b) { return reinterpret_cast<subscriber**>(b + 1); }
    subscriber** data();
    subscriber* const* data() const;

    subscriber* word_ = nullptr; // null: empty; a subscriber; or a block with block_bit set
};

} // namespace sse_server
