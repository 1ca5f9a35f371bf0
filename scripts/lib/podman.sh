# shellcheck shell=bash
# Sourced by scripts/try-image and scripts/try-package: podman on a clean Debian 12 base image
# made here, with no registry. Docker Hub's debian:bookworm is replaced by a
# `debootstrap --variant=minbase bookworm` root imported with `podman import`, built once and
# kept as localhost/sse-server-base:bookworm (podman rmi it to start from a fresh root).
# Needs root (sudo otherwise) and Debian's mirror (DEBIAN_MIRROR picks it).

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base_image=localhost/sse-server-base:bookworm

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

# Without systemd as PID 1 podman cannot schedule healthchecks and says so at every start and
# stop; the check is run by hand where it matters.
pm() { "${sudo[@]}" podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }

# podman's default limits (a million open files) are refused where the caller's own hard
# limits are lower, as in a container or a CI sandbox: a container gets at most those.
limit_args() {
    local nofile nproc
    nofile=$(ulimit -Hn)
    [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
    nproc=4096
    echo "--ulimit nofile=$nofile:$nofile --ulimit nproc=$nproc:$nproc"
}

# Builds the base image unless it exists: the minbase root with bookworm's updates and
# security sources, as in Debian's own images.
ensure_base_image() {
    scripts/setup-deps podman runc debootstrap >&2
    if pm image exists "$base_image"; then
        return
    fi
    local root cache
    root=$(mktemp -d /tmp/sse-server-base.XXXXXX)
    cache=$(realpath -m build/debootstrap-cache)
    mkdir -p "$cache"
    echo "== debootstrap --variant=minbase bookworm (once; kept as $base_image)" >&2
    if ! "${sudo[@]}" debootstrap --variant=minbase --cache-dir="$cache" bookworm "$root" \
        "$mirror" >"$cache/../debootstrap.log" 2>&1; then
        tail -n 30 "$cache/../debootstrap.log" >&2
        "${sudo[@]}" rm -rf --one-file-system "$root"
        return 1
    fi
    "${sudo[@]}" tee "$root/etc/apt/sources.list" >/dev/null <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://security.debian.org/debian-security bookworm-security main
SOURCES
    "${sudo[@]}" tar -C "$root" -c . | pm import --change 'CMD ["/bin/bash"]' - "$base_image" >&2
    "${sudo[@]}" rm -rf --one-file-system "$root"
}
