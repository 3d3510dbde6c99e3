"""Total the results of every build dir given: meson tests (unit, fuzz)
from meson-logs/testlog.json, and pytest cases from the junit files the
integration and mount suites write (the meson test that ran pytest is
replaced by its cases). Prints "N passed, N failed, N skipped"."""

import json
import os
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for build in sys.argv[1:]:
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        continue
    pytest_suites = set()
    for name in ("integration", "mount", "krb5"):
        junit = os.path.join(build, f"{name}-junit.xml")
        if os.path.exists(junit):
            root = ET.parse(junit).getroot()
            for suite in root.iter("testsuite"):
                t = int(suite.get("tests", 0))
                f = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
                s = int(suite.get("skipped", 0))
                passed += t - f - s
                failed += f
                skipped += s
            pytest_suites.add(name)
    with open(log) as fh:
        for line in fh:
            t = json.loads(line)
            # meson names tests "project:suite / name"
            if t["name"].rsplit(" / ", 1)[-1] in pytest_suites:
                continue  # counted case by case above
            r = t["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
