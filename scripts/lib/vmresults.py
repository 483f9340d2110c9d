#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host side of the test-bed result protocol (see scripts/guest/init).

  vmresults.py collect DIR ARCH [--qemu-status N] [--edu N] [--nic N]
      Parse DIR/data.log, DIR/ctl.log and DIR/console.log of a finished test
      guest; write DIR/results/<test>.tap, DIR/kernel.log, DIR/summary.txt and
      DIR/counts; print the per-test results and "ARCH: N passed, N failed".
      Exit status 1 if anything failed.
  vmresults.py follow DIR ARCH PID
      While process PID (QEMU) lives, print a line per finished test.
  vmresults.py run-status DIR
      Print the exit status the guest reported for "scripts/vm run" (124 on
      timeout, 125 if the guest reported none).
  vmresults.py kernel-log DIR ARCH
      Write DIR/kernel.log (the guest's dmesg dump, or else its console) and
      print the problem reports found in it and the leaks of kmemleak's
      report (debug kernel); exit 1 if there are any.
  vmresults.py scan FILE...
      Scan kernel logs for BUG/WARNING/Oops/lockdep/... reports; exit 1 if
      any is found.
"""

import os
import re
import sys
import time

MARK = "@@IOASID-VM "

# --- kernel log scan ----------------------------------------------------------

# A line matching one of these is part of a kernel problem report.  The
# list is shared with the tests' own kernel-log watcher (see the file).
PROBLEMS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "kmsg-problems")


def _problem_patterns(trace):
    """The headline patterns, or (trace) the stack-dump pattern."""
    out = []
    with open(PROBLEMS_FILE) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("@trace ") == trace:
                out.append(re.compile(line[len("@trace "):] if trace else line))
    return out


HEADLINES = _problem_patterns(False)
# These begin a report of their own: a WARN()'s "cut here" line always; a
# "WARNING"/"BUG" line unless it directly follows the start of a report that
# has none yet ("cut here", "Unable to handle kernel ...").
CUT_HERE = re.compile(r"-\[ cut here \]-")
REPORT = re.compile(r"\b(WARNING|BUG)\b")
# A stack dump is a report too (dump_stack(), sysrq, ...), unless it is the
# body of the report before it.
CALL_TRACE = _problem_patterns(True)[0]
END_TRACE = re.compile(r"---\[ end trace|---\[ end Kernel panic")
TEST_BEGIN = re.compile(r"ioasid-vm: BEGIN (\S+)")
TEST_END = re.compile(r"ioasid-vm: END (\S+)")
# A headline within NEAR lines of the report's last headline, and a stack
# dump within BODY lines of its first line, belong to that report.
NEAR = 12
BODY = 150
STACK_LINES = 6


def scan_kernel_log(lines):
    """Return the problem reports in a kernel log: a list of dicts with the
    offending lines and the test running at the time."""
    incidents = []
    cur = None
    test = None
    context = 0         # lines of stack to keep after a "Call Trace"

    def start(no, line, report):
        inc = {"first": no, "last": no, "lines": [line], "test": test,
               "report": report, "headline": True}
        incidents.append(inc)
        return inc

    for no, raw in enumerate(lines):
        line = raw.rstrip("\n")
        m = TEST_BEGIN.search(line)
        if m:
            test, cur = m.group(1), None
            continue
        if TEST_END.search(line):
            test, cur = None, None
            continue
        if END_TRACE.search(line):
            if cur is not None:
                cur["lines"].append(line)
            cur = None
            continue
        if CUT_HERE.search(line):
            cur = start(no, line, False)
            continue
        headline = any(p.search(line) for p in HEADLINES)
        is_trace = CALL_TRACE.search(line) is not None
        if context and cur is not None and not headline and not is_trace:
            # The innermost frames of the stack, which say where it was.
            context -= 1
            cur["lines"].append(line)
            continue
        context = 0
        if headline:
            report = REPORT.search(line) is not None
            near = (cur is not None and cur["headline"] and
                    no - cur["last"] <= NEAR)
            if near and not (report and cur["report"]):
                cur["lines"].append(line)
                cur["last"] = no
                cur["report"] = cur["report"] or report
            else:
                cur = start(no, line, report)
            continue
        if is_trace:
            if cur is not None and no - cur["first"] <= BODY:
                cur["lines"].append(line)
            else:
                cur = start(no, line, False)
                cur["headline"] = False
            context = STACK_LINES
    return incidents


# kmemleak's report: one block per object, from its "unreferenced object"
# line to the end of its backtrace.
LEAK_START = re.compile(r"^unreferenced object 0x[0-9a-f]+ \(size (\d+)\):")
LEAK_COMM = re.compile(r'comm "([^"]*)", pid (\d+)')
KMEMLEAK_LINE = re.compile(r"kmemleak: .*new suspected memory leak")


def parse_kmemleak(lines):
    """The leaks of a kmemleak report: a list of lists of lines."""
    leaks = []
    for line in lines:
        line = line.rstrip()
        if LEAK_START.match(line):
            leaks.append([line])
        elif leaks and line.strip():
            leaks[-1].append(line)
    return leaks


def format_leak(leak, arch=None):
    m = LEAK_COMM.search(" ".join(leak[:3]))
    who = " by %s (pid %s)" % (m.group(1), m.group(2)) if m else ""
    head = "kmemleak%s: memory leaked%s" % (" (%s)" % arch if arch else "", who)
    return [head] + ["    " + ln.strip() for ln in leak]


def drop_kmemleak_lines(incidents):
    """With kmemleak's own report at hand, its log lines ("N new suspected
    memory leaks") are not reports of their own: the scan after boot finds
    what is then forgotten, and the last one's leaks are counted one by one
    from the report."""
    return [inc for inc in incidents
            if not all(KMEMLEAK_LINE.search(ln) for ln in inc["lines"])]


def format_incident(inc, arch=None):
    where = "during %s" % inc["test"] if inc["test"] else "outside any test"
    head = "kernel log%s: problem %s (line %d)" % (
        " (%s)" % arch if arch else "", where, inc["first"] + 1)
    return [head] + ["    " + ln for ln in inc["lines"]]


# --- TAP -------------------------------------------------------------------------

RESULT = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)")
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO|XFAIL)\b", re.IGNORECASE)

KSFT_PASS, KSFT_FAIL, KSFT_XFAIL, KSFT_XPASS, KSFT_SKIP = 0, 1, 2, 3, 4


def parse_tap(lines):
    """Count the top-level results of one program's TAP output."""
    r = {"passed": 0, "failed": 0, "skipped": 0, "plan": None,
         "bailout": False, "results": 0, "failures": []}
    for line in lines:
        # Only unindented lines are top-level; subtests are indented, and
        # diagnostics start with '#'.
        m = PLAN.match(line)
        if m and r["plan"] is None:
            r["plan"] = int(m.group(1))
            continue
        if line.startswith("Bail out!"):
            r["bailout"] = True
            continue
        m = RESULT.match(line)
        if not m:
            continue
        r["results"] += 1
        d = DIRECTIVE.search(m.group(3))
        kind = d.group(1).upper() if d else None
        if kind in ("SKIP", "TODO"):
            r["skipped"] += 1
        elif m.group(1) == "ok":
            r["passed"] += 1
        else:
            r["failed"] += 1
            r["failures"].append(line)
    return r


def judge(test):
    """Add the failures TAP cannot express: crash, timeout, bad exit."""
    tap = parse_tap(test["output"])
    notes = []
    rc, timedout = test.get("rc"), test.get("timedout")
    if not test["finished"]:
        tap["failed"] += 1
        notes.append("did not finish: the guest stopped while it ran")
    elif timedout:
        tap["failed"] += 1
        notes.append("timed out after %s s" % test["timeout"])
    elif rc is not None and rc > 128:
        tap["failed"] += 1
        notes.append("killed by signal %d" % (rc - 128))
    elif rc == KSFT_SKIP and tap["results"] == 0:
        tap["skipped"] += 1
        notes.append("skipped as a whole (exit status 4)")
    elif rc not in (KSFT_PASS, KSFT_XFAIL, KSFT_SKIP) and tap["failed"] == 0:
        tap["failed"] += 1
        notes.append("exit status %s without reporting a failure" % rc)
    elif tap["bailout"] and tap["failed"] == 0:
        tap["failed"] += 1
        notes.append("bailed out")
    elif tap["results"] == 0:
        tap["failed"] += 1
        notes.append("reported no TAP results (exit status %s)" % rc)
    elif tap["plan"] is not None and tap["results"] < tap["plan"] \
            and tap["failed"] == 0:
        tap["failed"] += 1
        notes.append("planned %d results, reported %d" %
                     (tap["plan"], tap["results"]))
    test["tap"] = tap
    test["notes"] = notes
    return test


# --- channel logs --------------------------------------------------------------

def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    text = data.decode("utf-8", "replace").replace("\r", "")
    return text.split("\n")


def split_markers(lines):
    """Yield (text, marker) pairs: a marker may follow a test's last output
    line when that line lacks a newline."""
    for line in lines:
        i = line.find(MARK)
        if i < 0:
            yield line, None
            continue
        if i > 0:
            yield line[:i], None
        yield None, line[i + len(MARK):]


def fields(s):
    """'NAME k=v k=v' -> (NAME, {k: v})"""
    parts = s.split()
    kv = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            kv[k] = v
    return (parts[0] if parts else ""), kv


def parse_data(lines):
    tests = []
    cur = None
    alldone = None
    for text, mark in split_markers(lines):
        if mark is None:
            if cur is not None:
                cur["output"].append(text)
            continue
        word, _, rest = mark.partition(" ")
        if word == "BEGIN":
            name, kv = fields(rest)
            cur = {"name": name, "timeout": kv.get("timeout", "?"),
                   "output": [], "finished": False}
            tests.append(cur)
        elif word == "END" and cur is not None:
            _, kv = fields(rest)
            cur["finished"] = True
            cur["rc"] = int(kv.get("rc", "-1"))
            cur["timedout"] = kv.get("timedout") == "1"
            cur["time"] = kv.get("time", "?")
            # The guest's own END marker follows a newline-less last line;
            # drop the empty tail of a properly terminated output.
            while cur["output"] and cur["output"][-1] == "":
                cur["output"].pop()
            cur = None
        elif word == "ALLDONE":
            alldone = fields("x " + rest)[1].get("time")
    return tests, alldone


def parse_ctl(lines):
    ctl = {"modules": [], "edu": [], "nic": [], "info": [], "notes": [], "dmesg": None,
           "done": False, "booted": None, "exit": None, "lockdep": None,
           "kmemleak": None, "gcda": {}}
    dmesg = None
    leaks = None
    gcda = None
    for text, mark in split_markers(lines):
        if mark is None:
            if dmesg is not None:
                dmesg.append(text)
            elif leaks is not None:
                leaks.append(text)
            elif gcda is not None:
                gcda.append(text)
            continue
        word, _, rest = mark.partition(" ")
        if word == "DMESG-BEGIN":
            dmesg = []
        elif word == "DMESG-END":
            ctl["dmesg"] = dmesg
            dmesg = None
        elif word == "KMEMLEAK-BEGIN":
            leaks = []
        elif word == "KMEMLEAK-END":
            ctl["kmemleak"] = leaks
            leaks = None
        elif word == "GCDA":
            gcda = []
            gcda_path = rest.strip()
        elif word == "GCDA-END" and gcda is not None:
            ctl["gcda"][gcda_path] = "".join(gcda)
            gcda = None
        elif word == "MODULE":
            kind, name, status = (rest.split(None, 2) + ["", "", ""])[:3]
            ctl["modules"].append((kind, name, status))
        elif word == "EDU":
            dev, kv = fields(rest)
            ctl["edu"].append((dev, kv.get("group", "none")))
        elif word == "NIC":
            dev, kv = fields(rest)
            ctl["nic"].append((dev, kv.get("group", "none"),
                               kv.get("driver", "none")))
        elif word == "INFO":
            ctl["info"].append(rest)
        elif word == "NOTE":
            ctl["notes"].append(rest)
        elif word == "BOOTED":
            ctl["booted"] = fields("x " + rest)[1].get("uptime")
        elif word == "EXIT":
            ctl["exit"] = fields("x " + rest)[1]
        elif word == "LOCKDEP":
            ctl["lockdep"] = fields("x " + rest)[1].get("debug_locks")
        elif word == "DONE":
            ctl["done"] = True
    if dmesg is not None:           # cut short
        ctl["dmesg"] = None
    return ctl


def summary_line(p, f, s):
    line = "%d passed, %d failed" % (p, f)
    if s:
        line += ", %d skipped" % s
    return line


# --- commands --------------------------------------------------------------------

def cmd_collect(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="vmresults.py collect")
    ap.add_argument("dir")
    ap.add_argument("arch")
    ap.add_argument("--qemu-status", type=int, default=0)
    ap.add_argument("--edu", type=int, default=3)
    ap.add_argument("--nic", type=int, default=0)
    ap.add_argument("--wall", default=None, help="host wall time of the guest")
    a = ap.parse_args(argv)
    d = a.dir
    tests, alldone = parse_data(read_lines(os.path.join(d, "data.log")))
    ctl = parse_ctl(read_lines(os.path.join(d, "ctl.log")))

    out = []            # report lines
    passed = failed = skipped = 0
    resdir = os.path.join(d, "results")
    os.makedirs(resdir, exist_ok=True)
    for t in tests:
        judge(t)
        with open(os.path.join(resdir, t["name"] + ".tap"), "w") as f:
            f.write("\n".join(t["output"]) + "\n")
        tap = t["tap"]
        passed += tap["passed"]
        failed += tap["failed"]
        skipped += tap["skipped"]
        status = "FAIL" if tap["failed"] else ("SKIP" if not tap["passed"] and
                                                tap["skipped"] else "PASS")
        out.append("%-4s %-30s %8s s  %s" % (
            status, t["name"], t.get("time", "?"),
            summary_line(tap["passed"], tap["failed"], tap["skipped"])))
        for ln in tap["failures"] + t["notes"]:
            out.append("       " + ln)

    # The test bed itself.
    bed = []
    if ctl["booted"] is None:
        bed.append("the guest did not boot to /init (see console.log)")
    else:
        for kind, name, status in ctl["modules"]:
            if status != "ok":
                bed.append("%s module %s: %s" % (kind, name, status))
        if not any(i.startswith("iommu ") for i in ctl["info"]):
            bed.append("no IOMMU registered in /sys/class/iommu")
        if len(ctl["edu"]) < a.edu:
            bed.append("%d edu devices found, %d expected" %
                       (len(ctl["edu"]), a.edu))
        for dev, group in ctl["edu"]:
            if group == "none":
                bed.append("edu device %s has no IOMMU group" % dev)
        if len(ctl["nic"]) < a.nic:
            bed.append("%d NICs found, %d expected" % (len(ctl["nic"]), a.nic))
        for dev, group, drv in ctl["nic"]:
            if group == "none":
                bed.append("NIC %s has no IOMMU group" % dev)
            if drv != "none":
                bed.append("NIC %s is bound to %s at boot" % (dev, drv))
        if (any(i.startswith("kmemleak ") for i in ctl["info"]) and
                ctl["done"] and ctl["kmemleak"] is None):
            bed.append("kmemleak was armed but its report did not arrive")
        if ctl["lockdep"] not in (None, "1"):
            bed.append("lockdep was off at the end of the run (debug_locks=%s):"
                       " it stopped checking after its first report or a"
                       " full table" % ctl["lockdep"])
        if not ctl["done"]:
            if tests and not tests[-1]["finished"]:
                bed.append("the guest stopped during %s" % tests[-1]["name"])
            elif alldone is None:
                bed.append("the guest stopped before running all tests")
            else:
                bed.append("the guest did not shut down cleanly")
    if a.qemu_status == 124:
        bed.append("QEMU was killed by the host-side timeout")
    elif a.qemu_status != 0:
        bed.append("QEMU exited with status %d" % a.qemu_status)
    # A guest that stopped during a test already counts as that test's failure.
    extra = [b for b in bed if not b.startswith("the guest stopped during")]
    failed += len(extra)
    for b in bed:
        out.append("FAIL test bed: " + b)
    for n in ctl["notes"]:
        out.append("NOTE " + n)

    write_gcda(d, ctl)
    klog = kernel_log(d, ctl)
    incidents = scan_kernel_log(klog)
    leaks = []
    if ctl["kmemleak"] is not None:
        incidents = drop_kmemleak_lines(incidents)
        leaks = parse_kmemleak(ctl["kmemleak"])
    failed += len(incidents) + len(leaks)
    issues = []
    for inc in incidents:
        issues += format_incident(inc, a.arch)
    for leak in leaks:
        issues += format_leak(leak, a.arch)
    with open(os.path.join(d, "kernel-issues.txt"), "w") as f:
        f.write("\n".join(issues) + ("\n" if issues else ""))
    for ln in issues:
        out.append(("FAIL " if not ln.startswith("    ") else "") + ln)

    times = "boot %s s" % (ctl["booted"] or "?")
    if alldone:
        times += ", tests %s s" % alldone
    if a.wall:
        times += ", guest wall time %s s" % a.wall
    final = "%s: %s (%s)" % (a.arch, summary_line(passed, failed, skipped),
                             times)
    out.append(final)
    with open(os.path.join(d, "summary.txt"), "w") as f:
        f.write("\n".join(out) + "\n")
    with open(os.path.join(d, "counts"), "w") as f:
        f.write("%d %d %d\n" % (passed, failed, skipped))
    # Only what failed (a FAIL line and the indented lines after it).
    fails = []
    keep = False
    for ln in out[:-1]:
        if not ln.startswith(" "):
            keep = ln.startswith("FAIL")
        if keep:
            fails.append(ln)
    with open(os.path.join(d, "failures.txt"), "w") as f:
        f.write("".join(ln + "\n" for ln in fails))
    print("\n".join("[%s] %s" % (a.arch, ln) if ln != final else ln
                    for ln in out))
    return 1 if failed else 0


def cmd_follow(argv):
    d, arch, pid = argv[0], argv[1], int(argv[2])
    seen = set()
    started = set()

    def alive():
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False

    while True:
        running = alive()
        tests, _ = parse_data(read_lines(os.path.join(d, "data.log")))
        for t in tests:
            if t["name"] not in started:
                started.add(t["name"])
                print("[%s] running %s (timeout %s s)" %
                      (arch, t["name"], t["timeout"]), flush=True)
            if t["finished"] and t["name"] not in seen:
                seen.add(t["name"])
                judge(t)
                tap = t["tap"]
                print("[%s] %-4s %s: %s in %s s%s" % (
                    arch, "FAIL" if tap["failed"] else "done", t["name"],
                    summary_line(tap["passed"], tap["failed"], tap["skipped"]),
                    t["time"], "; " + "; ".join(t["notes"]) if t["notes"]
                    else ""), flush=True)
        if not running:
            return 0
        time.sleep(1)


def cmd_run_status(argv):
    ctl = parse_ctl(read_lines(os.path.join(argv[0], "ctl.log")))
    e = ctl["exit"]
    if e is None:
        print(125)
    elif e.get("timedout") == "1":
        print(124)
    else:
        print(int(e.get("rc", "125")))
    return 0


def write_gcda(d, ctl):
    """The gcov data of a coverage build, into DIR/gcov/<its path>."""
    import base64
    for path, text in ctl["gcda"].items():
        out = os.path.join(d, "gcov", path.lstrip("/"))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        try:
            data = base64.b64decode(text, validate=False)
        except ValueError:
            continue
        with open(out, "wb") as f:
            f.write(data)


def kernel_log(d, ctl=None):
    """The guest's kernel log: its dmesg dump if it got that far, else the
    console.  Also written to DIR/kernel.log."""
    if ctl is None:
        ctl = parse_ctl(read_lines(os.path.join(d, "ctl.log")))
    klog = ctl["dmesg"]
    if klog is None:
        klog = read_lines(os.path.join(d, "console.log"))
    with open(os.path.join(d, "kernel.log"), "w") as f:
        f.write("\n".join(klog) + "\n")
    return klog


def cmd_kernel_log(argv):
    ctl = parse_ctl(read_lines(os.path.join(argv[0], "ctl.log")))
    incidents = scan_kernel_log(kernel_log(argv[0], ctl))
    leaks = []
    if ctl["kmemleak"] is not None:
        incidents = drop_kmemleak_lines(incidents)
        leaks = parse_kmemleak(ctl["kmemleak"])
    issues = []
    for inc in incidents:
        issues += format_incident(inc, argv[1])
    for leak in leaks:
        issues += format_leak(leak, argv[1])
    if issues:
        print("\n".join(issues))
    return 1 if issues else 0


def cmd_scan(argv):
    found = 0
    for path in argv:
        incidents = scan_kernel_log(read_lines(path))
        for inc in incidents:
            print("%s: %s" % (path, "\n".join(format_incident(inc))))
        found += len(incidents)
    print("%d kernel problem report(s)" % found)
    return 1 if found else 0


def main():
    cmds = {"collect": cmd_collect, "follow": cmd_follow,
            "run-status": cmd_run_status, "kernel-log": cmd_kernel_log,
            "scan": cmd_scan}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
