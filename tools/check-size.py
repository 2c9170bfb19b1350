#!/usr/bin/env python3
"""Lists C++ source files over 800 lines and functions over 80 lines.

Usage: tools/check-size.py [--strict] [--max-file N] [--max-function N]
                           [FILE|DIR...]

Without FILE it checks every tracked C++ file outside tests/ and generated
files (those saying "generated" and "do not edit" in their first lines).
It prints one "path:line: ..." row per finding and exits 0, or 1 with
--strict when there is a finding (CI runs it that way).

Exemptions, one line with a reason, for where a longer unit truly reads better:
  // size: <reason>    in the comment lines directly above a function, or
                       anywhere inside it, exempts that function;
  // size: <reason>    anywhere else in the file exempts the file's length.
A "// size:" comment without a reason exempts nothing and is reported.

Functions are found with a lexical scan (comments, strings and preprocessor
lines removed, braces matched), not a compiler: a body opened at namespace or
class scope right after a parameter list is a function. Lambdas count towards
the function that holds them.
"""

import argparse
import bisect
import re
import subprocess
import sys
from pathlib import Path

CPP_SUFFIXES = (".cpp", ".hpp", ".h", ".cc", ".hh", ".cxx", ".ipp")
EXCLUDED_DIRS = ("tests/", "build/")
EXEMPTION = re.compile(r"//\s*size:(.*)$")
GENERATED = re.compile(r"generated", re.IGNORECASE)
DO_NOT_EDIT = re.compile(r"do not edit", re.IGNORECASE)
CONTAINER = re.compile(
    r"^(?:template\s*<.*>\s*)?(?:(?:inline\s+)?namespace\b|extern\s*\"C\"|"
    r"(?:class|struct|union|enum)\b(?![^{]*\())", re.DOTALL)
QUALIFIER_TAIL = re.compile(
    r"(?:\)|\bconst|\bnoexcept|\boverride|\bfinal|\bmutable|&|\bdefault)\s*$")


def blank_out(text):
    """Replaces comments, string/char literals and preprocessor lines with
    spaces, keeping newlines so that offsets still map to line numbers."""
    out = list(text)
    i, n = 0, len(text)
    at_line_start = True

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "\n":
            at_line_start = True
            i += 1
            continue
        if at_line_start and c == "#":
            j = i
            while j < n and text[j] != "\n":  # follow line continuations
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                    j += 2
                    continue
                if text.startswith("/*", j):  # a block comment may span lines
                    end = text.find("*/", j + 2)
                    j = n if end < 0 else end + 2
                    continue
                j += 1
            blank(i, j)
            i = j
            continue
        if not c.isspace():
            at_line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == "R" and text.startswith('"', i + 1) and (
            i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^()\\ ]{0,16})\(', text[i:])
            if not m:
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            blank(i + 1, j)
            i = j
        elif c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


def strip_groups(header):
    """Removes nested (...) and {...} groups so that only top level remains."""
    out, depth = [], 0
    for c in header:
        if c in "({[":
            if depth == 0:
                out.append(c)
            depth += 1
        elif c in ")}]":
            depth = max(depth - 1, 0)
            if depth == 0:
                out.append(c)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def classify(header):
    """Says what a '{' opened after `header` (at namespace or class scope)
    starts: 'container', 'function', 'member_init' or 'other'."""
    h = " ".join(header.split())
    if not h or CONTAINER.match(h):
        return "container"
    flat = strip_groups(h)
    if "()" not in flat:
        return "other"  # no parameter list: an initializer or a statement
    before_params = flat[: flat.index("()")]
    if "=" in before_params and "operator" not in before_params:
        return "other"  # `auto x = f(...) {`, `auto l = [](...) {`
    after_params = flat[flat.index("()") + 2 :]
    if ":" in after_params.replace("::", ""):  # a constructor's init list
        return "function" if QUALIFIER_TAIL.search(h) or h.endswith(
            ("}", ")")) else "member_init"
    if QUALIFIER_TAIL.search(h) or "->" in after_params or re.search(
        r"\bnoexcept\b|\bthrow\b", after_params):
        return "function"
    if re.search(r"\)\s*(?:requires|try)\b", h):
        return "function"
    return "other"


def function_name(header):
    flat = strip_groups(" ".join(header.split()))
    before = flat[: flat.find("()")] if "()" in flat else flat
    m = re.search(r"((?:[\w~]+\s*::\s*)*(?:operator\s*\S+|[\w~]+))\s*$",
                  before)
    return m.group(1).replace(" ", "") if m else "?"


def find_functions(code):
    """Yields (name, first_line, last_line) for every function body."""
    newline_offsets = [i for i, c in enumerate(code) if c == "\n"]

    def line_at(offset):  # 1-based line of a character offset
        return bisect.bisect_left(newline_offsets, offset) + 1

    header_start = 0
    stack = []  # kinds of open braces at namespace/class scope
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c in ";}" and (not stack or stack[-1] == "container"):
            if c == "}" and stack:
                stack.pop()
            header_start = i + 1
        elif c == "}" and stack:  # closes a member_init group
            stack.pop()
        elif c == "{":
            header = code[header_start:i]
            kind = classify(header) if (not stack or stack[-1] == "container"
                                        ) else "member_init"
            if kind == "container":
                stack.append("container")
                header_start = i + 1
            elif kind == "member_init":
                stack.append("member_init")
            else:  # a function body or an initializer: skip to its end
                depth, j = 0, i
                while j < n:
                    if code[j] == "{":
                        depth += 1
                    elif code[j] == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                if kind == "function":
                    start = header_start + (len(header) - len(header.lstrip()))
                    yield function_name(header), line_at(start), line_at(j)
                    header_start = j + 1
                i = j
        i += 1


def exemptions(lines):
    """Returns {line: reason} for every `// size:` comment (1-based)."""
    found = {}
    for number, line in enumerate(lines, 1):
        m = EXEMPTION.search(line)
        if m:
            found[number] = m.group(1).strip()
    return found


def comment_block_above(lines, first_line):
    """Lines of the contiguous comment block right above `first_line`."""
    result, k = set(), first_line - 1
    while k >= 1 and lines[k - 1].strip().startswith(("//", "/*", "*")):
        result.add(k)
        k -= 1
    return result


def check_file(path, max_file, max_function):
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    head = "\n".join(lines[:10])
    if GENERATED.search(head) and DO_NOT_EDIT.search(head):
        return []
    marks = exemptions(lines)
    findings = []
    for number, reason in marks.items():
        if not reason:
            findings.append((number, "'// size:' needs a reason; it exempts "
                             "nothing"))
    used = set()
    for name, first, last in find_functions(blank_out(text)):
        length = last - first + 1
        own = {k for k in marks if first <= k <= last}
        own |= {k for k in comment_block_above(lines, first) if k in marks}
        used |= own
        if length > max_function and not any(marks[k] for k in own):
            findings.append((first, f"function {name} has {length} lines "
                             f"(limit {max_function})"))
    file_marks = [k for k in marks if k not in used and marks[k]]
    if len(lines) > max_file and not file_marks:
        findings.append((1, f"file has {len(lines)} lines (limit {max_file})"))
    return sorted(findings)


def tracked_sources(root):
    out = subprocess.run(["git", "ls-files"], cwd=root, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    return [f for f in out if f.endswith(CPP_SUFFIXES)
            and not f.startswith(EXCLUDED_DIRS)]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:]))
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when anything is over a limit")
    parser.add_argument("--max-file", type=int, default=800)
    parser.add_argument("--max-function", type=int, default=80)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    files = []
    for name in args.files:  # a folder stands for the C++ files under it
        if Path(name).is_dir():
            files += sorted(str(f) for f in Path(name).rglob("*")
                            if f.suffix in CPP_SUFFIXES)
        else:
            files.append(name)
    files = files or tracked_sources(root)
    base = Path.cwd() if args.files else root
    total = 0
    for name in files:
        for line, message in check_file(base / name, args.max_file,
                                        args.max_function):
            print(f"{name}:{line}: {message}")
            total += 1
    print(f"check-size: {total} finding(s) in {len(files)} file(s)",
          file=sys.stderr)
    return 1 if args.strict and total else 0


if __name__ == "__main__":
    sys.exit(main())
