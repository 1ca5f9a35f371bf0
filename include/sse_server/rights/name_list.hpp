#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sse_server {

/** A list of names that does not change once made (a user's groups, its grant patterns),
    shared: copying one copies a pointer. Equal lists read from credentials are one list
    (name_pool), so the streams of users with the same groups hold one between them. Compares
    by content, like the vector it reads as. */
class name_list
{
public:
    name_list() = default;
    name_list(std::vector<std::string> names); // NOLINT(google-explicit-constructor): a value
    name_list(std::initializer_list<std::string> names);

    std::span<std::string const> names() const;
    // NOLINTNEXTLINE(google-explicit-constructor): read as the span of its names
    operator std::span<std::string const>() const { return names(); }
    std::string const* begin() const { return names().data(); }
    std::string const* end() const { return begin() + size(); }
    std::size_t size() const { return list_ ? list_->size() : 0; }
    bool empty() const { return size() == 0; }
    std::string const& operator[](std::size_t i) const { return (*list_)[i]; }
    std::string const& front() const { return list_->front(); }
    std::string const& back() const { return list_->back(); }

    /** Which list this is: two name_lists with the same identity are copies of one list;
        null when empty. Equal lists may have different identities. */
    void const* identity() const { return empty() ? nullptr : list_.get(); }

    friend bool operator==(name_list const& a, name_list const& b);
    friend bool operator==(name_list const& a, std::vector<std::string> const& b);

private:
    friend class name_pool;
    std::shared_ptr<std::vector<std::string> const> list_; // null: empty
};

/** Equal lists, one list: each list handed to it is looked up by its content, and the one
    made from an equal list before is returned when there is one. Lists are immutable, so
    sharing them changes nothing anyone can see but memory and time. Keeps the lists someone
    holds, plus at most as many that nobody holds any more (dropped once the pool has doubled
    since it last looked). Not thread-safe: owned by one reader, used on its thread. */
class name_pool
{
public:
    /** What is kept for a list: what its reader made of it, and notes on it (which problems
        it had, say), both pure functions of the list. */
    struct entry
    {
        name_list list;
        std::uint8_t notes = 0;
    };

    /** The entry made from a list equal to `names`, or else `make()`'s, kept for the next.
        `make` must be a pure function of `names`: one pool per way of reading a list. */
    template <class Make>
    entry intern(std::span<std::string const> names, Make&& make)
    {
        key_of(names);
        if (auto it = lists_.find(std::string_view(key_)); it != lists_.end())
            return it->second;
        return keep(make());
    }

    std::size_t size() const { return lists_.size(); }

private:
    struct hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const
        {
            return std::hash<std::string_view>{}(s);
        }
    };

    void key_of(std::span<std::string const> names);
    entry keep(entry made);

    // Keyed by each name's length (a size_t's bytes) and bytes, one after the other: one key,
    // one lookup, and no two lists of names have the same key.
    std::unordered_map<std::string, entry, hash, std::equal_to<>> lists_;
    std::string key_; // the key being looked up, kept for its capacity
    std::size_t sweep_at_ = 64;
};

} // namespace sse_server
