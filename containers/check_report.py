"""The check scripts' common ending: one PASS|FAIL line per check, then "N passed, N failed"."""


def report(results):
    """results: (name, ok, evidence) tuples. Prints them; returns the exit status (1 if any failed)."""
    passed = failed = 0
    for name, ok, evidence in results:
        print("%s  %-40s %s" % ("PASS" if ok else "FAIL", name, evidence), flush=True)
        passed += bool(ok)
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
