#include "sse_server/rights/json_pick.hpp"

#include "sse_server/event/json_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

namespace sse_server {

namespace {

using json = nlohmann::json;
using kind = json_pick::kind;

/** One reference token of a pointer, and the array index it names, if it names one. */
struct token
{
    std::string key;
    std::optional<std::size_t> index; // as json_pointer reads one: digits, no leading zero
};

std::optional<std::size_t> array_index(std::string const& key)
{
    if (key.empty() || key.size() > std::numeric_limits<std::size_t>::digits10 ||
        (key.size() > 1 && key[0] == '0') ||
        !std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt; // too long a number names no item: no array is that large
    std::size_t index = 0;
    for (char c : key)
        index = index * 10 + static_cast<std::size_t>(c - '0');
    return index;
}

/** The tokens of a pointer; nothing when it is malformed (then it finds nothing). */
std::optional<std::vector<token>> tokens_of(std::string const& pointer)
{
    std::optional<json::json_pointer> parsed;
    try { // config validation has checked the pointer already
        parsed.emplace(pointer);
    } catch (json::exception const&) {
        return std::nullopt;
    }
    std::vector<token> out;
    while (!parsed->empty()) {
        auto key = parsed->back();
        parsed->pop_back();
        auto index = array_index(key);
        out.push_back({std::move(key), index});
    }
    std::reverse(out.begin(), out.end());
    return out;
}

/** Follows a parser's events along the pointers. A value is "along" a pointer when its path
    is the pointer's start or the whole of it; containers along none are only counted. Takes the
    events of json_scanner (the fast path) or, through nlohmann_events, of nlohmann's parser. */
class picker
{
public:
    static constexpr std::size_t max_pointers = 32; // one bit each in a mask

    explicit picker(std::span<std::string const> pointers)
    {
        for (auto const& pointer : pointers) {
            auto tokens = tokens_of(pointer);
            found_.emplace_back();
            // A malformed pointer is along nothing: it stays missing.
            paths_.push_back(tokens ? std::move(*tokens) : std::vector<token>{});
            usable_.push_back(tokens.has_value());
        }
    }

    std::vector<json_pick> take() { return std::move(found_); }

    bool null() { return value(kind::other); }
    bool boolean(bool) { return value(kind::other); }
    bool number_integer(std::int64_t v) { return value(kind::integer, std::to_string(v)); }
    bool number_unsigned(std::uint64_t v) { return value(kind::integer, std::to_string(v)); }
    bool number_float(double, std::string_view) { return value(kind::other); }
    bool string(std::string_view v) { return value(kind::string, v); }
    bool start_object(std::size_t) { return open(false); }
    bool start_array(std::size_t) { return open(true); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(std::string_view k)
    {
        if (untracked_ == 0)
            levels_.back().key.assign(k);
        return true;
    }

private:
    using mask = std::uint32_t; // one bit per pointer

    /** An open container along at least one pointer. */
    struct level
    {
        mask along = 0;
        bool array = false;
        std::size_t next_index = 0; // array: the index of the next item
        std::string key;            // object: the key of the next member
    };

    /** The pointers along which the value starting now lies, having handed it as an item to
        the pointers that name its container. */
    mask along_now(kind what)
    {
        if (levels_.empty()) { // the whole text: the start of every pointer
            mask all = 0;
            for (std::size_t p = 0; p < paths_.size(); ++p)
                if (usable_[p])
                    all |= mask{1} << p;
            return all;
        }
        auto& parent = levels_.back();
        auto const depth = levels_.size() - 1; // the parent's path length
        auto const index = parent.next_index++;
        mask along = 0;
        for (std::size_t p = 0; p < paths_.size(); ++p) {
            if (!(parent.along & (mask{1} << p)))
                continue;
            auto const& path = paths_[p];
            if (path.size() == depth) {
                item_of(found_[p], what);
                continue;
            }
            auto const& next = path[depth];
            if (parent.array ? next.index == index : next.key == parent.key)
                along |= mask{1} << p;
        }
        return along;
    }

    void item_of(json_pick& target, kind what)
    {
        if (target.type != kind::strings)
            return;
        if (what == kind::string) {
            takers_.push_back(&target.items.emplace_back());
            return;
        }
        target.type = kind::array;
        target.items.clear();
    }

    /** Gives the text to every pointer that takes it. */
    void hand_out(std::string_view text)
    {
        for (auto* taker : takers_)
            taker->assign(text);
        takers_.clear();
    }

    /** The value starting now replaces whatever an earlier duplicate key gave each pointer it
        is along; it is the value of those it ends. */
    void start(mask along, kind what)
    {
        auto const depth = levels_.size();
        for (std::size_t p = 0; p < paths_.size(); ++p) {
            if (!(along & (mask{1} << p)))
                continue;
            auto& target = found_[p];
            target = json_pick{};
            if (paths_[p].size() != depth)
                continue;
            target.type = what == kind::array ? kind::strings : what;
            if (what == kind::string || what == kind::integer)
                takers_.push_back(&target.text);
        }
    }

    bool value(kind what, std::string_view text = {})
    {
        if (untracked_ == 0) {
            start(along_now(what), what);
            hand_out(text);
        }
        return true;
    }

    bool open(bool array)
    {
        if (untracked_ > 0) {
            ++untracked_;
            return true;
        }
        auto const what = array ? kind::array : kind::object;
        auto const along = along_now(what);
        start(along, what);
        takers_.clear(); // a container is no string: its items come one by one
        if (along == 0)
            ++untracked_;
        else
            levels_.push_back({along, array, 0, {}});
        return true;
    }

    bool close()
    {
        if (untracked_ > 0)
            --untracked_;
        else
            levels_.pop_back();
        return true;
    }

    std::vector<std::vector<token>> paths_;
    std::vector<bool> usable_;
    std::vector<level> levels_;
    std::size_t untracked_ = 0; // open containers inside one along no pointer, or that one
    std::vector<std::string*> takers_; // where the string being read goes
    std::vector<json_pick> found_;
};

/** nlohmann's SAX events, handed to a picker: the slow path, for what json_scanner leaves. */
class nlohmann_events final : public nlohmann::json_sax<json>
{
public:
    explicit nlohmann_events(picker& to) : to_(to) {}

    bool null() override { return to_.null(); }
    bool boolean(bool v) override { return to_.boolean(v); }
    bool number_integer(number_integer_t v) override { return to_.number_integer(v); }
    bool number_unsigned(number_unsigned_t v) override { return to_.number_unsigned(v); }
    bool number_float(number_float_t v, string_t const& s) override { return to_.number_float(v, s); }
    bool string(string_t& v) override { return to_.string(v); }
    bool binary(binary_t&) override { return to_.null(); } // not in JSON text
    bool start_object(std::size_t n) override { return to_.start_object(n); }
    bool start_array(std::size_t n) override { return to_.start_array(n); }
    bool end_object() override { return to_.end_object(); }
    bool end_array() override { return to_.end_array(); }
    bool key(string_t& k) override { return to_.key(k); }
    bool parse_error(std::size_t, std::string const&, nlohmann::detail::exception const&) override
    {
        return false;
    }

private:
    picker& to_;
};

} // namespace

std::optional<std::vector<json_pick>> pick_json(std::string_view text, std::span<std::string const> pointers)
{
    if (pointers.size() > picker::max_pointers)
        return std::nullopt;
    // nlohmann's lexer costs about a hundred instructions per byte; a session or key value is
    // read at every connect and every revalidation, so the scanner goes first.
    std::string scratch;
    if (picker fast(pointers); scan_json(text, fast, scratch))
        return fast.take();
    picker reader(pointers);
    nlohmann_events events(reader);
    if (!json::sax_parse(text.begin(), text.end(), &events))
        return std::nullopt;
    return reader.take();
}

} // namespace sse_server
