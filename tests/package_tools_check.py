#!/usr/bin/env python3
"""Builds the Debian package with only the programs a clean Debian 12 would have once
scripts/package has installed what it installs: those of a minbase root (the packages of
priority "required", the essential ones and apt), of the packages `scripts/package
--print-deps` names, and of what they depend on. CPack finds its tools (file, dpkg-shlibdeps,
strip, ...) through PATH alone here, as on such a machine: one missing from the list fails the
package build, as it would for an operator following the README.

The packages and their dependencies are read from this machine's dpkg database, which holds
them all (scripts/test installed them). The package is built from the test's build tree with
CPack's output in a temporary directory. Its control fields are checked too: it depends on the
libraries it links, and only suggests redis-server (Recommends would install a Redis server
on hosts whose Redis is elsewhere).

Usage: package_tools_check.py <source dir> <build dir> <cpack>; exit 77 (skipped) without
dpkg-query, as on a machine that is not Debian.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIPPED = 77
PROGRAM_DIRS = ("/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")


def installed_packages():
    """name -> (priority, essential, provides, depends): the installed packages."""
    fields = "${binary:Package}\t${db:Status-Status}\t${Priority}\t${Essential}\t" \
             "${Provides}\t${Pre-Depends}, ${Depends}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fields], check=True, text=True,
                         capture_output=True).stdout
    packages = {}
    for line in out.splitlines():
        name, status, priority, essential, provides, depends = line.split("\t")
        if status != "installed":
            continue
        packages[name.split(":")[0]] = (priority, essential == "yes", provides, depends)
    return packages


def bare_names(relation_list):
    """'a (>= 1) | b:any, c' -> [['a', 'b'], ['c']]: each relation's alternatives."""
    groups = []
    for relation in relation_list.split(","):
        names = [re.split(r"[\s(:\[]", alt.strip(), maxsplit=1)[0] for alt in relation.split("|")]
        names = [n for n in names if n]
        if names:
            groups.append(names)
    return groups


def closure(packages, wanted):
    providers = {}
    for name, (_, _, provides, _) in packages.items():
        for group in bare_names(provides):
            providers.setdefault(group[0], name)
    chosen = set()
    todo = list(wanted)
    while todo:
        name = todo.pop()
        name = name if name in packages else providers.get(name)
        if name is None or name in chosen:
            continue
        chosen.add(name)
        for alternatives in bare_names(packages[name][3]):
            # apt takes the first alternative it can; here, the first one installed.
            for alt in alternatives:
                if alt in packages or alt in providers:
                    todo.append(alt)
                    break
    return chosen


def programs_of(package):
    for list_file in (f"/var/lib/dpkg/info/{package}.list",
                      f"/var/lib/dpkg/info/{package}:amd64.list",
                      f"/var/lib/dpkg/info/{package}:all.list"):
        if os.path.exists(list_file):
            with open(list_file, encoding="utf-8") as paths:
                for path in paths.read().splitlines():
                    if path.startswith(PROGRAM_DIRS) and os.path.isfile(path) and \
                            os.access(path, os.X_OK):
                        yield path
            return


def main():
    source_dir, build_dir = (os.path.abspath(d) for d in sys.argv[1:3])
    cpack = sys.argv[3]
    if shutil.which("dpkg-query") is None:
        print("dpkg-query not installed: not a Debian machine")
        return SKIPPED
    listed = subprocess.run([os.path.join(source_dir, "scripts/package"), "--print-deps"],
                            check=True, text=True, capture_output=True).stdout.split()
    packages = installed_packages()
    missing = [p for p in listed if p not in packages]
    if missing:
        print(f"not installed here, cannot check: {' '.join(missing)}")
        return SKIPPED
    minbase = [name for name, (priority, essential, _, _) in packages.items()
               if priority == "required" or essential]
    chosen = closure(packages, minbase + ["apt"] + listed)

    with tempfile.TemporaryDirectory() as work:
        bin_dir = os.path.join(work, "bin")
        os.mkdir(bin_dir)
        for package in sorted(chosen):
            for program in programs_of(package):
                link = os.path.join(bin_dir, os.path.basename(program))
                if not os.path.lexists(link):
                    os.symlink(program, link)
        # Without CMake's own search paths (/usr/bin, ...), find_program() looks in PATH only.
        env = {"PATH": bin_dir, "HOME": work, "LC_ALL": "C"}
        result = subprocess.run(
            [cpack, "-G", "DEB", "--config", os.path.join(build_dir, "CPackConfig.cmake"),
             "-B", os.path.join(work, "out"), "-D", "CMAKE_FIND_USE_CMAKE_SYSTEM_PATH=FALSE"],
            cwd=build_dir, env=env, text=True, capture_output=True)
        debs = [f for f in os.listdir(os.path.join(work, "out"))
                if f.endswith(".deb")] if os.path.isdir(os.path.join(work, "out")) else []
        if result.returncode != 0 or len(debs) != 1:
            print(result.stdout + result.stderr, file=sys.stderr)
            print(f"cpack failed with the programs of: {' '.join(listed)} "
                  "(scripts/package --print-deps) and a minbase root", file=sys.stderr)
            return 1
        deb = os.path.join(work, "out", debs[0])
        fields = {}
        for name in ("Depends", "Recommends", "Suggests"):
            fields[name] = subprocess.run(["dpkg-deb", "--field", deb, name], check=True,
                                          text=True, capture_output=True).stdout.strip()
        status = 0
        if "libc6" not in fields["Depends"]:
            print(f"{debs[0]}: no shared-library dependencies: {fields}", file=sys.stderr)
            status = 1
        wanted = {name: [alt for group in bare_names(fields[name]) for alt in group]
                  for name in fields}
        if "redis-server" in wanted["Depends"] + wanted["Recommends"] or \
                wanted["Suggests"] != ["redis-server"]:
            print(f"{debs[0]}: Redis must be suggested only: {fields}", file=sys.stderr)
            status = 1
        if status == 0:
            print(f"{debs[0]} built with the programs of {len(chosen)} packages; {fields}")
    return status


if __name__ == "__main__":
    sys.exit(main())
