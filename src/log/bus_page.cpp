#include "sse_server/log/bus_page.hpp"

#include "sse_server/base/hex.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <string_view>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

// Runs inside Redis, atomically. Entries are fetched a few at a time: two at first, then as
// many as the budget left holds at the average size seen so far, so that large entries are
// fetched one or two at a time; the body of one larger than the limit is measured and left
// where it is. In the usual case (the anchor is the position) one XRANGE from the anchor says
// whether it is still there and brings the first entries after it.
// Reply: {type} when the key holds no stream; else
// {'stream', anchor found, facts, entries, more} with facts {} or
// {last-generated-id, entries-added or '', length, first id or ''} and entries flat, four
// elements each: {id, 'n' | 'r', body, {} | {a}}, {id, 'big', size, {}} or {id, 'none', '', {}}
// ('r': a revalidation, whose body is the field r; a: the field a, an audience).
constexpr std::string_view page_script = R"lua(
local key = KEYS[1]
local after, anchor, last = ARGV[1], ARGV[2], ARGV[3]
local budget, max_entries, max_body = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function key_type()
  return {redis.call('TYPE', key)['ok']}
end
local batch, asked, found = nil, 0, 0
if anchor ~= '' then
  -- When the anchor is the position, one range from it says whether it is still there and
  -- brings the first entries after it.
  asked = 1
  if anchor == after then asked = 3 end
  batch = redis.pcall('XRANGE', key, anchor, last, 'COUNT', asked)
  if batch['err'] then return key_type() end
  if batch[1] and batch[1][1] == anchor then
    found = 1
    table.remove(batch, 1)
    asked = asked - 1
  end
  if anchor ~= after then batch = nil end
end
local facts = {}
if found == 0 then
  local info = redis.pcall('XINFO', 'STREAM', key)
  if info['err'] then return key_type() end
  local f = {}
  for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
  local first = ''
  if f['length'] > 0 then first = f['recorded-first-entry-id'] or f['first-entry'][1] end
  local added = ''
  if f['entries-added'] then added = tostring(f['entries-added']) end
  facts = {f['last-generated-id'], added, tostring(f['length']), first}
end
local out, n, more = {}, 0, 0
if after ~= '' then
  local from, used, taken, seen_bytes = '(' .. after, 0, 0, 0
  while more == 0 do
    if not batch then
      asked = 2
      if taken > 0 then asked = math.floor((budget - used) * taken / math.max(seen_bytes, 1)) end
      asked = math.max(1, math.min(asked, max_entries - taken, 1000))
      batch = redis.call('XRANGE', key, from, last, 'COUNT', asked)
    end
    for i = 1, #batch do
      local e = batch[i]
      local fields = e[2]
      local body, what, aud
      if fields[1] == 'n' and #fields == 2 then
        body, what = fields[2], 'n'
      else
        for j = 1, #fields, 2 do
          local f = fields[j]
          if f == 'n' then body, what = fields[j + 1], 'n'
          elseif f == 'r' and not body then body, what = fields[j + 1], 'r'
          elseif f == 'a' then aud = fields[j + 1] end
        end
      end
      local size, cost = 0, 0
      if body then size = #body end
      if aud then size = size + #aud end
      cost = size
      if size > max_body then cost = 32 end
      if taken > 0 and (taken >= max_entries or used + cost > budget) then
        more = 1
        break
      end
      out[n + 1], out[n + 4] = e[1], {}
      if not body then
        out[n + 2], out[n + 3] = 'none', ''
      elseif size > max_body then
        out[n + 2], out[n + 3] = 'big', tostring(size)
      else
        out[n + 2], out[n + 3] = what, body
        if aud then out[n + 4] = {aud} end
      end
      n, taken, used, seen_bytes = n + 4, taken + 1, used + cost, seen_bytes + size
    end
    if more == 0 then
      if #batch < asked then break end
      if taken >= max_entries or used >= budget then more = 1 end
      from = '(' .. out[n - 3]
    end
    batch = nil
  end
end
return {'stream', found, facts, out, more}
)lua";

std::optional<std::uint64_t> number_in(redis_reply const& r)
{
    if (r.type != kind::value || r.text.empty())
        return std::nullopt;
    std::uint64_t n = 0;
    auto const* end = r.text.data() + r.text.size();
    auto const [at, ec] = std::from_chars(r.text.data(), end, n);
    if (ec != std::errc{} || at != end)
        return std::nullopt;
    return n;
}

std::optional<event_id> id_in(redis_reply const& r)
{
    return r.type == kind::value ? event_id::parse(r.text) : std::nullopt;
}

bool read_facts(redis_reply const& r, stream_facts& out)
{
    if (r.type != kind::array)
        return false;
    if (r.elements.empty())
        return true; // not asked for: the anchor was found
    if (r.elements.size() != 4)
        return false;
    out.last_generated = id_in(r.elements[0]);
    out.entries_added = number_in(r.elements[1]);
    auto const length = number_in(r.elements[2]);
    if (!out.last_generated || !length)
        return false;
    out.length = *length;
    out.first = id_in(r.elements[3]);
    return true;
}

bool read_entries(redis_reply const& r, std::vector<bus_page_entry>& out)
{
    if (r.type != kind::array || r.elements.size() % 4 != 0)
        return false;
    out.reserve(r.elements.size() / 4);
    for (std::size_t i = 0; i < r.elements.size(); i += 4) {
        auto const id = id_in(r.elements[i]);
        auto const& what = r.elements[i + 1].text;
        auto const& value = r.elements[i + 2];
        auto const& aud = r.elements[i + 3];
        if (!id || value.type != kind::value || aud.type != kind::array ||
            aud.elements.size() > 1)
            return false;
        bus_page_entry e{*id, std::nullopt, 0, std::nullopt, std::nullopt};
        if (what == "n" || what == "r") {
            e.n_bytes = value.text.size();
            (what == "n" ? e.n : e.r) = value.text;
            if (!aud.elements.empty()) {
                if (aud.elements[0].type != kind::value)
                    return false;
                e.a = aud.elements[0].text;
                e.n_bytes += e.a->size();
            }
        } else if (what == "big") {
            auto const size = number_in(value);
            if (!size)
                return false;
            e.n_bytes = *size;
        } else if (what != "none") {
            return false;
        }
        out.push_back(std::move(e));
    }
    return true;
}

} // namespace

std::string bus_page_digest()
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EVP_Digest(page_script.data(), page_script.size(), digest.data(), &size, EVP_sha1(), nullptr);
    std::string out;
    append_hex(out, digest.data(), size);
    return out;
}

bool script_not_cached(redis_reply const& reply)
{
    return reply.type == kind::error && reply.text.starts_with("NOSCRIPT");
}

std::vector<std::string> bus_page_command(bus_page_request const& request,
                                          std::string const& digest)
{
    auto text = [](std::optional<event_id> const& id) {
        return id ? id->to_string() : std::string();
    };
    return {digest.empty() ? "EVAL" : "EVALSHA",
            digest.empty() ? std::string(page_script) : digest,
            "1",
            request.key,
            text(request.after),
            text(request.anchor),
            request.last ? request.last->to_string() : std::string("+"),
            std::to_string(request.byte_budget),
            std::to_string(request.max_entries),
            std::to_string(request.max_body_bytes)};
}

std::optional<bus_page> read_bus_page(redis_reply const& reply)
{
    if (reply.type != kind::array || reply.elements.empty() ||
        reply.elements[0].type != kind::value)
        return std::nullopt;
    bus_page page;
    auto const& type = reply.elements[0].text;
    if (type != "stream") {
        if (type != "none")
            page.wrong_type = type;
        return page;
    }
    if (reply.elements.size() != 5)
        return std::nullopt;
    page.facts.exists = true;
    page.facts.anchor_found = reply.elements[1].text == "1";
    page.more = reply.elements[4].text == "1";
    if (!read_facts(reply.elements[2], page.facts) ||
        !read_entries(reply.elements[3], page.entries))
        return std::nullopt;
    return page;
}

continuity judge_continuity(event_id position, stream_facts const& facts,
                            std::optional<std::uint64_t> ordinal)
{
    if (!facts.exists)
        return position == event_id{} ? continuity::intact : continuity::recreated;
    // Entries are trimmed oldest first: while one we read is there, nothing after it is gone.
    if (facts.anchor_found)
        return continuity::intact;
    if (!facts.last_generated)
        return continuity::trimmed; // nothing to go by
    auto const last = *facts.last_generated;
    if (last < position)
        return continuity::recreated;
    if (last == position)
        return continuity::intact; // nothing was appended after it
    if (facts.first && *facts.first <= position)
        return continuity::intact; // an older entry is still there, so none after it was trimmed
    // Everything there is newer than the position: was anything appended after the position
    // removed before it was read? The counters tell, when the ordinal of the position is known.
    if (ordinal && facts.entries_added) {
        if (*facts.entries_added < *ordinal)
            return continuity::recreated;
        if (*facts.entries_added - *ordinal == facts.length)
            return continuity::intact;
    }
    return continuity::trimmed;
}

} // namespace sse_server
