#include "sse_server/rights/name_list.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace sse_server {

name_list::name_list(std::vector<std::string> names)
{
    if (!names.empty())
        list_ = std::make_shared<std::vector<std::string> const>(std::move(names));
}

name_list::name_list(std::initializer_list<std::string> names)
    : name_list(std::vector<std::string>(names))
{
}

std::span<std::string const> name_list::names() const
{
    if (!list_)
        return {};
    return {list_->data(), list_->size()};
}

bool operator==(name_list const& a, name_list const& b)
{
    return a.list_ == b.list_ || std::ranges::equal(a.names(), b.names());
}

bool operator==(name_list const& a, std::vector<std::string> const& b)
{
    return std::ranges::equal(a.names(), b);
}

void name_pool::key_of(std::span<std::string const> names)
{
    key_.clear();
    for (auto const& name : names) {
        auto const length = name.size();
        key_.append(reinterpret_cast<char const*>(&length), sizeof length);
        key_.append(name);
    }
}

name_pool::entry name_pool::keep(entry made)
{
    if (lists_.size() >= sweep_at_) {
        // Entries whose list only the pool holds belong to streams that are gone (an empty
        // list is held by nobody: it goes too, and is made again when it comes back).
        std::erase_if(lists_, [](auto const& kept) { return kept.second.list.list_.use_count() <= 1; });
        sweep_at_ = std::max<std::size_t>(64, 2 * lists_.size());
    }
    return lists_.emplace(key_, std::move(made)).first->second;
}

} // namespace sse_server
