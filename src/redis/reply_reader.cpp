#include "sse_server/redis/reply_reader.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <new>
#include <string>
#include <utility>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

/** Where the value read by `task` goes: the reader's root for a whole reply, else the next
    element of its parent's array. Elements come in order and an earlier sibling is complete
    before the next begins, so growing the array never moves a value hiredis still refers to
    (it refers only to the open arrays above the current value). Null when out of memory. */
redis_reply* slot_for(redisReadTask const* task) noexcept
{
    try {
        if (!task->parent) {
            auto* root = static_cast<redis_reply*>(task->privdata);
            *root = redis_reply{};
            return root;
        }
        auto& siblings = static_cast<redis_reply*>(task->parent->obj)->elements;
        return &siblings.emplace_back();
    } catch (std::bad_alloc const&) {
        return nullptr;
    }
}

void* create_string(redisReadTask const* task, char* text, std::size_t size)
{
    auto* slot = slot_for(task);
    if (!slot)
        return nullptr;
    try {
        slot->type = task->type == REDIS_REPLY_ERROR ? kind::error : kind::value;
        slot->text.assign(text, size);
        return slot;
    } catch (std::bad_alloc const&) {
        return nullptr;
    }
}

void* create_array(redisReadTask const* task, int elements)
{
    auto* slot = slot_for(task);
    if (!slot)
        return nullptr;
    slot->type = kind::array;
    try {
        // Room for what Redis announced, within reason: a count is a promise, not bytes read.
        slot->elements.reserve(static_cast<std::size_t>(std::min(elements, 1024)));
        return slot;
    } catch (std::bad_alloc const&) {
        return nullptr;
    }
}

void* create_integer(redisReadTask const* task, long long value)
{
    auto* slot = slot_for(task);
    if (!slot)
        return nullptr;
    try {
        slot->type = kind::value;
        slot->text = std::to_string(value);
        return slot;
    } catch (std::bad_alloc const&) {
        return nullptr;
    }
}

void* create_nil(redisReadTask const* task)
{
    auto* slot = slot_for(task);
    if (slot)
        slot->type = kind::nil;
    return slot;
}

// hiredis frees only the reply it is building (after an error, or with the reader): it lives
// in reply_reader, so it is only emptied.
void free_object(void* reply)
{
    *static_cast<redis_reply*>(reply) = redis_reply{};
}

// Never written: hiredis takes a pointer to a mutable table but only reads it.
redisReplyObjectFunctions const builders{create_string, create_array, create_integer, create_nil,
                                         free_object};

} // namespace

reply_reader::reply_reader()
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): hiredis only reads the table
    : reader_(redisReaderCreateWithFunctions(const_cast<redisReplyObjectFunctions*>(&builders)))
{
    if (reader_)
        reader_->privdata = &root_;
}

reply_reader::~reply_reader()
{
    if (reader_)
        redisReaderFree(reader_);
}

bool reply_reader::feed(char const* data, std::size_t size)
{
    return reader_ && redisReaderFeed(reader_, data, size) == REDIS_OK;
}

reply_reader::status reply_reader::next(redis_reply& out)
{
    if (!reader_)
        return status::error;
    void* parsed = nullptr;
    if (redisReaderGetReply(reader_, &parsed) != REDIS_OK)
        return status::error;
    if (!parsed)
        return status::more;
    out = std::move(root_);
    root_ = redis_reply{};
    return status::reply;
}

std::string reply_reader::error() const
{
    if (!reader_)
        return "out of memory";
    return reader_->errstr;
}

} // namespace sse_server
