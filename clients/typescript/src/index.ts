// A typed client for the treatment knowledge base API: openapi-fetch over the types
// openapi-typescript generated from the API's OpenAPI document (src/schema.d.ts; regenerate
// with `make client`, never edit it by hand).
import createClient, { type ClientOptions } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** A client for the API at `baseUrl` (e.g. "https://kb.example.org"), typed for its JSON
 * answers (a list's CSV and NDJSON are plain text: read them with `parseAs: "text"`). */
export function createKbClient(baseUrl: string, options: Omit<ClientOptions, "baseUrl"> = {}) {
  return createClient<paths, "application/json" | "application/problem+json">({
    ...options,
    baseUrl,
  });
}

export type KbClient = ReturnType<typeof createKbClient>;
