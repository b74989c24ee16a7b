#!/usr/bin/python3
"""doctest.py: runs the fenced code blocks of Markdown files and checks their outputs.

Usage:
  scripts/doctest.py [--write] [-j N] FILE.md ...   run (or, --write, regenerate) files
  scripts/doctest.py --self-test [DIR]              run the runner's own fixtures
                                                    (default tests/doctest)

A fence is three backticks, a language and attributes: ```sh norun timeout=60 exit=1```.
Languages that run:
  sh      run by bash -e, with build/bin on PATH (the program `loadgen`)
  c       compiled with the repository's headers and built libraries, then run
  python  run by /usr/bin/python3 with PYTHONPATH=build/python
Languages that do not run: output (the expected output of the code block before it),
text (shown only). Any other language is left alone.
Attributes:
  norun        shown, not run (an output block after it is not checked)
  file=NAME    not run: the block is written to NAME for later blocks of the file
  timeout=S    seconds before the block is killed and fails (default 30)
  exit=N       the exit code the block must end with (default 0)
  exact        (output) the output must match character for character
  select=RE    (output) compare only the lines that match the regular expression RE
               (quote it when it has spaces: select="^p9. ")
  vary=RE      (output, by shape) the text RE matches may differ too, as numbers do
               (a verdict that depends on the machine's load: vary="(IN)?VALID")
  repeat=RE    (output, by shape) a run of consecutive lines that match RE counts as
               one line, whatever their number and content (a table of search steps)
An output block is compared by shape unless `exact`: every number (with its time unit,
if any, and a "<" before it, as in "p < 1e-12") becomes one placeholder and runs of spaces one space, so the lines and the
words must be the same and the figures may differ.
The blocks of one file run in order in one fresh temporary folder; stdout and stderr
are taken together; the block's folder is shown as /tmp/course and the repository's
as <repo>. `--write` replaces each output block's text with the real output
of its code block (its selected lines), so the outputs shown are made by the project.

Exit: 0 every file passed, 1 a block failed, 2 usage or a malformed file.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_LANGS = ("sh", "c", "python")
LANGS = RUN_LANGS + ("output", "text")
TMP_MARK = "/tmp/course"  # what a block's temporary folder is shown as
ROOT_MARK = "<repo>"  # and the repository's folder
FENCE = re.compile(r"^(\s*)```(.*)$")


class DocError(Exception):
    """A malformed file (exit 2), with the file and line in the message."""


class Block:
    def __init__(self, path, line, lang, attrs, text, start, end):
        self.path, self.line, self.lang, self.attrs = path, line, lang, attrs
        self.text = text
        self.start, self.end = start, end  # lines of the body: [start, end) (0-based)
        self.output = None  # the output block after a code block

    def where(self):
        return "%s:%d" % (os.path.relpath(self.path, os.getcwd()), self.line)


def parse_attrs(path, line, words):
    attrs = {}
    for w in words:
        key, eq, val = w.partition("=")
        if key in ("norun", "exact") and not eq:
            attrs[key] = True
        elif key in ("file", "select", "vary", "repeat") and eq and val:
            attrs[key] = val
        elif key in ("timeout", "exit") and eq:
            try:
                attrs[key] = float(val) if key == "timeout" else int(val)
            except ValueError:
                raise DocError("%s:%d: fence attribute %s='%s' is not a number"
                               % (path, line, key, val))
            if key == "timeout" and attrs[key] <= 0:
                raise DocError("%s:%d: timeout='%s' must be above 0" % (path, line, val))
        else:
            raise DocError("%s:%d: unknown fence attribute '%s' (known: norun, file=NAME, "
                           "timeout=S, exit=N, exact, select=RE, vary=RE, repeat=RE)"
                           % (path, line, w))
    for key in ("select", "vary", "repeat"):
        if key in attrs:
            try:
                attrs[key] = re.compile(attrs[key])
            except re.error as e:
                raise DocError("%s:%d: %s='%s' is not a regular expression: %s"
                               % (path, line, key, attrs[key], e))
    return attrs


def parse(path):
    """The blocks of the languages above, each output block attached to its code block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, i, last_code = [], 0, None
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, info = m.group(1), m.group(2).strip()
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j == len(lines):
            raise DocError("%s:%d: this fence is never closed" % (path, i + 1))
        try:
            words = shlex.split(info)
        except ValueError as e:
            raise DocError("%s:%d: fence attributes: %s" % (path, i + 1, e))
        lang = words[0] if words else ""
        if lang in LANGS:
            attrs = parse_attrs(path, i + 1, words[1:])
            body = [ln[len(indent):] if ln.startswith(indent) else ln for ln in lines[i + 1:j]]
            b = Block(path, i + 1, lang, attrs, "\n".join(body) + "\n" if body else "",
                      i + 1, j)
            if lang == "output":
                if last_code is None:
                    raise DocError("%s:%d: an output block with no code block before it"
                                   % (path, i + 1))
                if last_code.output is not None:
                    raise DocError("%s:%d: a second output block for the code block of "
                                   "line %d" % (path, i + 1, last_code.line))
                if "file" in last_code.attrs:
                    raise DocError("%s:%d: an output block after a file= block (line %d), "
                                   "which does not run" % (path, i + 1, last_code.line))
                last_code.output = b
            elif lang in RUN_LANGS:
                last_code = b
            blocks.append(b)
        i = j + 1
    return lines, blocks


NUM = re.compile(r"(?:(?:<|&lt;)\s?)?[-+]?(?:\d+(?:,\d{3})*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
                 r"(?:\s?(?:ns|us|µs|ms|s|min|h|%|x)\b)?")


def shape(line, vary=None):
    if vary is not None:
        line = vary.sub("~", line)
    return " ".join(NUM.sub("#", line).split())


def select(text, rx):
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if rx is not None:
        lines = [ln for ln in lines if rx.search(ln)]
    return lines


def compare(b, actual):
    """None when the output block matches `actual`, else what differs."""
    o = b.output
    want = select(o.text, o.attrs.get("select"))
    got = select(actual, o.attrs.get("select"))
    if o.attrs.get("exact"):
        if want == got:
            return None
        fw, fg = want, got
    else:
        vary, rep = o.attrs.get("vary"), o.attrs.get("repeat")

        def shapes(lines):
            out = []
            for x in lines:
                if rep is not None and rep.search(x):
                    if out and out[-1] == "(repeated lines)":
                        continue
                    out.append("(repeated lines)")
                else:
                    out.append(shape(x, vary))
            return out
        fw, fg = shapes(want), shapes(got)
        if rep is not None:  # line numbers then count the collapsed runs as one
            want = got = None
        if fw == fg:
            return None
    if want is None:
        want, got = fw, fg
    for k in range(max(len(fw), len(fg))):
        w = want[k] if k < len(want) else "(no line)"
        g = got[k] if k < len(got) else "(no line)"
        if k >= len(fw) or k >= len(fg) or fw[k] != fg[k]:
            return ("output line %d differs (%s): expected\n    %s\n  got\n    %s\n"
                    "  (%d lines expected, %d got; `make course-outputs` rewrites the "
                    "outputs when the change is meant)"
                    % (k + 1, "exact" if o.attrs.get("exact") else "by shape", w, g,
                       len(want), len(got)))
    return "output differs"


def env_for(tmp):
    env = dict(os.environ)
    env["PATH"] = os.path.join(ROOT, "build", "bin") + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.path.join(ROOT, "build", "python")
    env["LOADGEN_ROOT"] = ROOT
    env["LC_ALL"] = "C.UTF-8"
    env["TMPDIR"] = tmp
    env.pop("LOADGEN_BIN", None)
    return env


def c_command(src, exe):
    gsl = subprocess.run(["pkg-config", "--libs", "gsl"], capture_output=True, text=True)
    gsl_libs = gsl.stdout.split() if gsl.returncode == 0 else ["-lgsl", "-lgslcblas"]
    lib = os.path.join(ROOT, "build", "lib")
    return (["cc", "-std=c11", "-D_GNU_SOURCE", "-pthread", "-Wall", "-Wextra", "-Werror",
             "-I" + ROOT, src, "-o", exe,
             os.path.join(lib, "libloadgen_report.a"), os.path.join(lib, "libloadgen.a")]
            + gsl_libs + ["-ljansson", "-lm"])


def run_block(b, tmp, n):
    """(exit code, output) of one code block, run in tmp."""
    env = env_for(tmp)
    timeout = b.attrs.get("timeout", 30)
    if b.lang == "sh":
        cmd = ["bash", "-e", "-o", "pipefail", "-c", b.text]
    elif b.lang == "python":
        src = os.path.join(tmp, ".block%d.py" % n)
        with open(src, "w", encoding="utf-8") as f:
            f.write(b.text)
        cmd = ["/usr/bin/python3", src]
    else:
        src = os.path.join(tmp, ".block%d.c" % n)
        exe = os.path.join(tmp, ".block%d" % n)
        with open(src, "w", encoding="utf-8") as f:
            f.write(b.text)
        cc = subprocess.run(c_command(src, exe), cwd=tmp, env=env, capture_output=True,
                            text=True, timeout=120)
        if cc.returncode != 0:
            return None, "the C block does not compile:\n" + cc.stdout + cc.stderr
        cmd = [exe]
    # A session of its own, so that a timeout ends the block's children too (a server
    # started in the background, say), which would otherwise hold the output pipe.
    p = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        raw, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        raw, _ = p.communicate()
        return None, "timed out after %g s (timeout=)\n%s" % (
            timeout, raw.decode("utf-8", "replace"))
    try:
        os.killpg(p.pid, signal.SIGKILL)  # what the block left running in the background
    except ProcessLookupError:
        pass
    out = raw.decode("utf-8", "replace").replace(tmp, TMP_MARK)
    return p.returncode, out.replace(ROOT + "/", ROOT_MARK + "/")


def run_file(path, write):
    """(path, list of failures, number of blocks run); rewrites the file with --write."""
    try:
        lines, blocks = parse(path)
    except DocError as e:
        return path, [str(e)], 0, True
    except OSError as e:
        return path, ["%s: %s" % (path, e.strerror)], 0, True
    fails, ran, new_out = [], 0, {}
    tmp = tempfile.mkdtemp(prefix="doctest-")
    try:
        for n, b in enumerate(blocks):
            if b.lang not in RUN_LANGS or b.attrs.get("norun"):
                continue
            if "file" in b.attrs:
                name = os.path.join(tmp, b.attrs["file"])
                os.makedirs(os.path.dirname(name), exist_ok=True)
                with open(name, "w", encoding="utf-8") as f:
                    f.write(b.text)
                continue
            ran += 1
            rc, out = run_block(b, tmp, n)
            want_rc = b.attrs.get("exit", 0)
            if rc is None:
                fails.append("%s: %s block %s" % (b.where(), b.lang, out.rstrip()))
                break  # later blocks may need this one's files
            if rc != want_rc:
                tail = "\n".join(out.rstrip("\n").split("\n")[-15:])
                fails.append("%s: %s block exited %d, expected %d; its output ends:\n%s"
                             % (b.where(), b.lang, rc, want_rc, tail))
                break
            if b.output is not None:
                if write:
                    new_out[b.output.start] = (b.output.end,
                                               select(out, b.output.attrs.get("select")))
                else:
                    diff = compare(b, out)
                    if diff:
                        fails.append("%s: the output block of the %s block of line %d: %s"
                                     % (b.output.where(), b.lang, b.line, diff))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if write and not fails and new_out:
        out_lines, i = [], 0
        for start in sorted(new_out):
            end, body = new_out[start]
            indent = FENCE.match(lines[start - 1]).group(1)
            out_lines += lines[i:start] + [indent + x if x else x for x in body]
            i = end
        out_lines += lines[i:]
        if out_lines != lines:
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(out_lines))
    return path, fails, ran, False


def run_files(paths, write, jobs, quiet=False):
    bad = malformed = 0
    total = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        for path, fails, ran, mal in ex.map(lambda p: run_file(p, write), paths):
            total += ran
            if fails:
                bad += 1
                malformed += mal
                for f in fails:
                    print("FAIL " + f, file=sys.stderr)
            elif not quiet:
                print("ok   %s (%d blocks%s)" % (os.path.relpath(path), ran,
                                                 ", outputs written" if write else ""))
    return bad, malformed, total


def self_test(folder):
    """Every good_*.md passes; every bad_*.md fails with the error its first line names
    (<!-- expect: TEXT -->); --write turns write_*.md's stale outputs into passing ones."""
    names = sorted(os.listdir(folder))
    passed = failed = 0

    def result(ok, what):
        nonlocal passed, failed
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        passed += ok
        failed += not ok

    for name in names:
        path = os.path.join(folder, name)
        if name.startswith("good_") and name.endswith(".md"):
            _, fails, ran, _ = run_file(path, False)
            result(not fails and ran > 0, "%s passes (%d blocks)%s"
                   % (name, ran, "".join("\n  " + f for f in fails)))
        elif name.startswith("bad_") and name.endswith(".md"):
            with open(path, encoding="utf-8") as f:
                m = re.match(r"<!-- expect: (.*) -->", f.readline())
            if not m:
                result(False, "%s: its first line must be <!-- expect: TEXT -->" % name)
                continue
            _, fails, _, _ = run_file(path, False)
            text = "\n".join(fails)
            result(m.group(1) in text and bool(re.search(re.escape(name) + r":\d+: ", text)),
                   "%s fails with '%s' naming the file and line%s"
                   % (name, m.group(1), "" if fails else " (it passed)")
                   + ("" if m.group(1) in text else "\n  got: " + text))
        elif name.startswith("write_") and name.endswith(".md"):
            tmp = tempfile.mkdtemp(prefix="doctest-write-")
            try:
                copy = os.path.join(tmp, name)
                shutil.copy(path, copy)
                _, before, _, _ = run_file(copy, False)
                _, wfails, _, _ = run_file(copy, True)
                _, after, _, _ = run_file(copy, False)
                with open(path, encoding="utf-8") as f, open(copy, encoding="utf-8") as g:
                    changed = f.read() != g.read()
                result(bool(before) and not wfails and not after and changed,
                       "%s: stale before --write, passing after it" % name
                       + "".join("\n  " + x for x in wfails + after))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


def main(argv):
    write, jobs, paths, selftest = False, 1, [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--write":
            write = True
        elif a == "-j" and i + 1 < len(argv) and argv[i + 1].isdigit():
            jobs = int(argv[i + 1])
            i += 1
        elif a == "--self-test":
            selftest = os.path.join(ROOT, "tests", "doctest")
            if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                selftest = argv[i + 1]
                i += 1
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-"):
            print("doctest.py: unknown option '%s' (--write, -j N, --self-test [DIR])" % a,
                  file=sys.stderr)
            return 2
        else:
            paths.append(a)
        i += 1
    if selftest is not None:
        if not os.path.isdir(selftest):
            print("doctest.py: --self-test: '%s' is not a folder" % selftest, file=sys.stderr)
            return 2
        return self_test(selftest)
    if not paths:
        print("doctest.py: no files (usage: doctest.py [--write] [-j N] FILE.md ...)",
              file=sys.stderr)
        return 2
    if not os.path.exists(os.path.join(ROOT, "build", "bin", "loadgen")):
        print("doctest.py: build/bin/loadgen is missing: run `make` first", file=sys.stderr)
        return 2
    bad, malformed, total = run_files(paths, write, jobs)
    print("doctest: %d files, %d blocks run" % (len(paths), total))
    print("doctest: %d passed, %d failed" % (len(paths) - bad, bad))
    return 2 if malformed and malformed == bad else (1 if bad else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
