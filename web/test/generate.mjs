// Generated attachments for scale: one run of `count` requests, every 50th
// failing with request and response detail, as the task writes them.

export function bigResults(count) {
  const requests = [];
  let passed = 0;
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const fails = i % 50 === 49;
    const id = String(i + 1).padStart(5, "0");
    const r = {
      iteration: Math.floor(i / 500) + 1,
      path: `Load / Item ${id}`,
      method: i % 3 === 0 ? "POST" : "GET",
      url: `https://load.example.com/v1/items/${id}?expand=details`,
      status: fails ? 503 : 200,
      statusText: fails ? "Service Unavailable" : "OK",
      timeMs: 20 + (i % 37),
      assertions: [
        { name: "status is 200", status: fails ? "failed" : "passed", message: fails ? "expected response to have status code 200 but got 503" : null },
        { name: "has an id", status: "passed", message: null },
      ],
      errors: [],
      request: null,
      response: null,
      console: [],
    };
    if (fails) {
      r.request = { headers: [["Accept", "application/json"], ["Authorization", "***"]], body: null, bodyTruncated: false, size: 0 };
      r.response = {
        headers: [["Content-Type", "application/json"], ["Retry-After", "1"]],
        body: JSON.stringify({ error: "overloaded", item: id, queue: i }),
        bodyTruncated: false,
        size: 60,
      };
      failed++;
      passed++;
    } else {
      passed += 2;
    }
    requests.push(r);
  }
  return {
    schema: 1,
    title: "Postman",
    shard: null,
    cliVersion: "1.62.0",
    truncated: { requests: 0, bodies: 0 },
    runs: [
      {
        index: 1,
        name: `Load · ${count.toLocaleString("en-US")} requests`,
        collection: "tests/load.postman_collection.json",
        environment: "perf",
        status: failed ? "failed" : "passed",
        reason: null,
        counts: { total: passed + failed, passed, failed, skipped: 0 },
        durationMs: count * 31,
        startedMs: 1795610900000,
        postmanUrl: null,
        requests,
      },
    ],
    lints: [],
  };
}
