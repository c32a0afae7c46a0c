// Run against a live server by tests/system/test_typescript_client.py: condition -> therapies,
// a 404 problem, a 304 revalidation. Prints one JSON line of what it saw; exits 1 on a failure.
import { createKbClient, type Problem, type Schemas } from "../src/index.js";

declare const process: { env: Record<string, string | undefined> };

const baseUrl = process.env["KB_BASE_URL"];
if (baseUrl === undefined) {
  throw new Error("KB_BASE_URL is not set");
}
const kb = createKbClient(baseUrl);

function check(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new Error(message);
  }
}

// Find a condition, then the therapies used for it.
const found = await kb.GET("/v1/conditions", {
  params: { query: { q: "knee osteoarthritis", limit: 1 } },
});
check(found.data !== undefined, `conditions: ${found.response.status}`);
const condition: Schemas["ConditionListItem"] | undefined = found.data.items[0];
check(condition !== undefined, "no condition found");

const therapies = await kb.GET("/v1/conditions/{slug}/therapies", {
  params: { path: { slug: condition.slug }, query: { view: "summary", limit: 5 } },
});
check(therapies.data !== undefined, `therapies: ${therapies.response.status}`);
const names = therapies.data.items.map((item) => item.therapy.name);
check(names.length > 0, "no therapy for the condition");

// A missing record is a problem+json 404, typed as Problem.
const missing = await kb.GET("/v1/therapies/{slug}", {
  params: { path: { slug: "no-such-therapy" } },
});
check(missing.response.status === 404, `missing: ${missing.response.status}`);
const problem: Problem | undefined = missing.error;
check(problem !== undefined && problem.status === 404, "no problem body");
check(
  missing.response.headers.get("content-type") === "application/problem+json",
  "problem content type",
);

// Revalidation: the ETag sent back in If-None-Match gives 304 with no body.
const first = await kb.GET("/v1/conditions/{slug}", { params: { path: { slug: condition.slug } } });
const etag = first.response.headers.get("etag");
check(first.data !== undefined && etag !== null, "condition detail and its ETag");
const again = await kb.GET("/v1/conditions/{slug}", {
  params: { path: { slug: condition.slug } },
  headers: { "If-None-Match": etag },
});
check(again.response.status === 304, `revalidation: ${again.response.status}`);

console.log(
  JSON.stringify({
    condition: condition.slug,
    therapies: names,
    missing: problem.type,
    revalidated: again.response.status,
  }),
);
