#pragma once

#include "sse_server/config/config.hpp"
#include "sse_server/redis/redis_reply.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

/** What a sentinel answered to `SENTINEL get-master-addr-by-name <name>`. */
struct master_answer
{
    enum class kind
    {
        address, // `master` holds where the master is
        unknown, // the sentinel monitors no master of that name (a nil reply)
        refused  // an error reply (NOAUTH, a sentinel that is not one), or a reply of no sense
    };
    kind type = kind::refused;
    host_port master;
    std::string error; // refused: the sentinel's words, or what was wrong with the reply
};

/** Reads the reply to `SENTINEL get-master-addr-by-name`: [ip, port], or nil. */
master_answer read_master_answer(redis_reply const& reply);

/** A `+switch-master` message: "<name> <old ip> <old port> <new ip> <new port>". */
struct master_switch
{
    std::string name;
    host_port from;
    host_port to;
};

/** Reads the payload of a message on the `+switch-master` channel; empty when it is not one. */
std::optional<master_switch> read_master_switch(std::string_view payload);

/** True when a ROLE reply says the server is not the master. (An error, such as an ACL user
    denied ROLE, says nothing either way: a READONLY reply will tell.) */
bool role_says_replica(redis_reply const& reply);

/** "host:port", an IPv6 address in brackets: how logs name an address. */
std::string address_text(host_port const& address);

} // namespace sse_server
