#!/usr/bin/env python3
"""Writes a Postman CLI native JSON report (`-r json`) with many results, for
benchmarks: gen-report.py EXECUTIONS TESTS_PER_EXECUTION OUT.json. About one
result in 97 fails."""
import json, sys
n_exec = int(sys.argv[1]); per = int(sys.argv[2])
with open(sys.argv[3], "w") as f:
    f.write('{"run":{"meta":{"collectionId":"c","collectionName":"Big API","started":1795610759579,"completed":1795610859579,"duration":100000},')
    f.write('"summary":{"iterations":{"executed":%d,"errors":0},"executedRequests":{"executed":%d,"errors":0}},"executions":[' % (n_exec // 50, n_exec))
    for i in range(n_exec):
        tests = []
        for j in range(per):
            if (i * per + j) % 97 == 0:
                tests.append({"name": "check %d" % j, "status": "failed", "error": {"name": "AssertionError", "message": "expected %d to equal 200" % (500 + j), "stack": "AssertionError: expected\n   at Object.eval sandbox-script.js:1:2)"}})
            else:
                tests.append({"name": "check %d" % j, "status": "passed"})
        ex = {"iterationCount": i // 50, "requestExecuted": {"id": "r%d" % (i % 50), "name": "Request %d" % (i % 50), "method": "GET", "url": {"protocol": "http", "host": ["api", "test"], "path": ["items", str(i)]}},
              "response": {"status": "OK", "code": 200, "responseTime": 5}, "tests": tests, "errors": []}
        if i: f.write(",")
        f.write(json.dumps(ex))
    f.write('],"runError":null}}')
