#!/usr/bin/env bash
# Checks that the daemon binary carries the hardening of an optimised build: PIE, full RELRO
# (relocations read-only and bound at start), stack protector, fortified libc calls and
# control-flow protection (endbr64 landing pads).
set -euo pipefail
binary=$1
fail() { echo "not hardened: $*" >&2; exit 1; }

readelf -h "$binary" | grep -q 'Type:.*DYN' || fail "not a position-independent executable"
readelf -l "$binary" | grep -q GNU_RELRO || fail "no RELRO segment"
readelf -d "$binary" | grep -q BIND_NOW || fail "RELRO is partial (no BIND_NOW)"
symbols=$(nm -D "$binary")
grep -q '__stack_chk_fail' <<<"$symbols" || fail "no stack protector"
grep -Eq '__(memcpy|snprintf|vsnprintf|sprintf)_chk' <<<"$symbols" || fail "no fortified libc call"
landing_pads=$(objdump -d --no-show-raw-insn "$binary" | grep -c endbr64 || true)
[ "$landing_pads" -gt 0 ] || fail "no control-flow protection"
echo "hardened: PIE, full RELRO, stack protector, fortify, CET landing pads"
