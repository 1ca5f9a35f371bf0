#!/usr/bin/env python3
"""Checks that docker/Dockerfile's build stage gets every file CMake reads, without a Docker
engine: the build context (the repository less what .dockerignore leaves out) is copied the
way the stage's COPY lines say, and `cmake` must configure from the result with the options
the stage uses. An image build once failed because CMakeLists.txt includes files under
packaging/ that the stage did not copy.
Usage: docker_context_check.py <source dir>"""
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile

source = os.path.abspath(sys.argv[1])


def ignore_patterns():
    with open(os.path.join(source, ".dockerignore")) as f:
        lines = (line.strip() for line in f)
        return [line for line in lines if line and not line.startswith("#")]


def ignored(relative, patterns):
    """Docker's rule, for the patterns used here: a pattern names a path or a directory whose
    contents go with it; a leading **/ matches at any depth."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


def build_stage_copies():
    """(sources, destination) of each COPY in the first stage, with continuation lines joined."""
    with open(os.path.join(source, "docker", "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    copies, stages, workdir = [], 0, "/"
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "FROM":
            stages += 1
        elif stages == 1 and words[0] == "WORKDIR":
            workdir = words[1]
        elif stages == 1 and words[0] == "COPY":
            args = [w for w in words[1:] if not w.startswith("--")]
            copies.append((args[:-1], os.path.join(workdir, args[-1])))
    return copies, workdir


def copy_into(top, target, patterns):
    """COPY's rule: a directory's contents go into the target; a file goes into it when it
    names a directory (a trailing / or .), else becomes it."""
    relative = os.path.relpath(top, source)
    if os.path.isfile(top):
        if not ignored(relative, patterns):
            into_dir = target.endswith("/") or target.endswith("/.")
            path = os.path.join(target, os.path.basename(top)) if into_dir else target
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copy2(top, path)
        return
    for directory, dirs, files in os.walk(top):
        rel_dir = os.path.relpath(directory, source)
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirs[:] = [d for d in dirs if not ignored(rel_dir + d, patterns)]
        for name in files:
            if not ignored(rel_dir + name, patterns):
                path = os.path.join(target, os.path.relpath(os.path.join(directory, name), top))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                shutil.copy2(os.path.join(directory, name), path)


def main():
    patterns = ignore_patterns()
    copies, workdir = build_stage_copies()
    if not copies:
        print("FAIL the build stage copies nothing")
        return 1
    with tempfile.TemporaryDirectory() as root:
        image = os.path.join(root, "image")
        for sources, destination in copies:
            target = os.path.join(image, destination.lstrip("/"))
            for src in sources:
                copy_into(os.path.normpath(os.path.join(source, src)), target, patterns)
        result = subprocess.run(
            ["cmake", "-S", os.path.join(image, workdir.lstrip("/")),
             "-B", os.path.join(root, "build"), "-DCMAKE_BUILD_TYPE=Release",
             "-DSSE_SERVER_BUILD_TESTS=OFF"],
            capture_output=True, text=True)
        if result.returncode != 0:
            print("FAIL cmake does not configure from what the build stage copies:")
            print(result.stdout[-2000:], result.stderr[-4000:])
            return 1
    print("the build stage copies what cmake reads")
    return 0


sys.exit(main())
