// Conformance steps of fal's official JavaScript client (@fal-ai/client) against the emulator.
//
// Run by tests/test_conformance_fal_js.py: `node fal_js_steps.mjs <config JSON>` with
// NODE_PATH pointing at an npm install of @fal-ai/client and NODE_EXTRA_CA_CERTS at the
// emulator's CA. The client is configured only through its documented settings: the key
// (`credentials`), a request middleware that swaps fal's hosts for the emulator's (and nothing
// else), and a `fetch` that records every URL the client requests before passing it on.
// Prints one JSON document: {"results": [{step, ok, detail | error}], "followed": [url, ...]}.

import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const { createFalClient, ApiError, ValidationError } = require("@fal-ai/client");
// The token call fal-js makes before realtime/browser streaming is not exported: load its
// module file directly (unchanged code).
const source = dirname(require.resolve("@fal-ai/client"));
const { createConfig } = require(join(source, "config.js"));
const { getTemporaryAuthToken } = require(join(source, "auth.js"));

const config = JSON.parse(process.argv[2]);
const { queue: QUEUE, run: RUN, key: KEY } = config;
const FLUX = "fal-ai/flux/dev";
const HOSTS = { "queue.fal.run": QUEUE, "fal.run": RUN, "rest.fal.ai": QUEUE };

const followed = [];
const recordingFetch = (input, init) => {
  followed.push(typeof input === "string" ? input : input.url ?? String(input));
  return fetch(input, init);
};
const swapHost = async (request) => {
  const url = new URL(request.url);
  const target = HOSTS[url.host];
  return target ? { ...request, url: target + url.pathname + url.search } : request;
};
const settings = { credentials: KEY, requestMiddleware: swapHost, fetch: recordingFetch };
const fal = createFalClient(settings);

// The emulator's own admin route (not the client under test): plain fetch, not recorded.
async function admin(body) {
  const response = await fetch(`${QUEUE}/_emulator/chaos`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`admin: ${response.status} ${await response.text()}`);
}
const calm = () => fetch(`${QUEUE}/_emulator/chaos`, { method: "DELETE" });

function check(condition, message) {
  if (!condition) throw new Error(message);
}
function onOrigin(url, origin = QUEUE) {
  check(typeof url === "string" && url.startsWith(origin + "/"), `${url} is not on ${origin}`);
}
async function expectError(promise, Kind = ApiError) {
  try {
    await promise;
  } catch (error) {
    check(error instanceof Kind, `expected ${Kind.name}, got ${error}`);
    return error;
  }
  throw new Error(`expected ${Kind.name}, got success`);
}
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

const results = [];
async function step(name, body) {
  const started = Date.now();
  try {
    const detail = (await body()) ?? {};
    results.push({ step: name, ok: true, ms: Date.now() - started, detail });
  } catch (error) {
    results.push({ step: name, ok: false, ms: Date.now() - started, error: String(error?.stack ?? error), body: error?.body });
  } finally {
    await calm();
  }
}

await step("queue.submit returns the request id and URLs on the queue origin", async () => {
  const handle = await fal.queue.submit(FLUX, {
    input: { prompt: "a lighthouse", seed: 7 },
    priority: "low",
    hint: "runner-7",
    headers: { "X-Conformance": "js" },
  });
  check(handle.request_id, "no request_id");
  for (const name of ["status_url", "response_url", "cancel_url"]) onOrigin(handle[name]);
  check(handle.status_url.includes("/fal-ai/flux/requests/"), handle.status_url);
  return { request_id: handle.request_id };
});

let submitted;
await step("queue.status with logs, then queue.streamStatus to COMPLETED", async () => {
  submitted = await fal.queue.submit(FLUX, { input: { prompt: "stream me" } });
  const first = await fal.queue.status(FLUX, { requestId: submitted.request_id, logs: true });
  check(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"].includes(first.status), first.status);
  const stream = await fal.queue.streamStatus(FLUX, { requestId: submitted.request_id, logs: true });
  const seen = [];
  stream.on("data", (event) => seen.push(event.status));
  const done = await stream.done();
  check(done.status === "COMPLETED", `stream ended ${done.status}`);
  check(seen.includes("COMPLETED"), `events ${seen}`);
  return { events: seen.length };
});

await step("queue.result returns the output and the request id", async () => {
  const result = await fal.queue.result(FLUX, { requestId: submitted.request_id });
  check(result.requestId === submitted.request_id, "requestId");
  const image = result.data.images[0];
  onOrigin(image.url);
  const bytes = new Uint8Array(await (await fetch(image.url)).arrayBuffer());
  check(bytes[0] === 0xff && bytes[1] === 0xd8, "not a JPEG");
  return { url: image.url };
});

await step("subscribe (polling) reports queue updates and returns the output", async () => {
  const statuses = [];
  const result = await fal.subscribe(FLUX, {
    input: { prompt: "poll" },
    pollInterval: 20,
    logs: true,
    onQueueUpdate: (update) => statuses.push(update.status),
  });
  check(statuses.at(-1) === "COMPLETED", `statuses ${statuses}`);
  check(result.data.images.length === 1, "images");
  return { statuses: [...new Set(statuses)] };
});

await step("subscribe (streaming) follows the status stream", async () => {
  const statuses = [];
  const result = await fal.subscribe(FLUX, {
    input: { prompt: "stream" },
    mode: "streaming",
    logs: true,
    onQueueUpdate: (update) => statuses.push(update.status),
  });
  check(statuses.includes("COMPLETED"), `statuses ${statuses}`);
  check(result.data.images.length === 1, "images");
  return { statuses: [...new Set(statuses)] };
});

await step("queue.cancel of a queued request completes it cancelled", async () => {
  await admin({ timeline: { queue_ticks: 100000 } });
  const handle = await fal.queue.submit(FLUX, { input: { prompt: "cancel me" } });
  await fal.queue.cancel(FLUX, { requestId: handle.request_id });
  const status = await fal.queue.status(FLUX, { requestId: handle.request_id });
  check(status.status === "COMPLETED", status.status);
  check(status.error_type === "client_cancelled", JSON.stringify(status));
  const error = await expectError(fal.queue.result(FLUX, { requestId: handle.request_id }));
  check(error.status === 499, `status ${error.status}`);
  return { request_id: handle.request_id };
});

await step("a four-segment id submits the full id and polls owner/app", async () => {
  const id = "fal-ai/kling-video/v3/pro/text-to-video";
  const result = await fal.subscribe(id, { input: { prompt: "waves", duration: "5" }, pollInterval: 20 });
  onOrigin(result.data.video.url);
  return { request_id: result.requestId };
});

for (const [id, input, pick] of [
  ["workflows/faltui-demo/sticker-flow", { prompt: "otter" }, (d) => d.images[0].url],
  ["comfy/faltui-demo/upscale-image", { image_url: "https://example.com/a.png" }, (d) => d.image.url],
]) {
  await step(`a ${id.split("/")[0]}/ id keeps three segments in every URL`, async () => {
    const handle = await fal.queue.submit(id, { input });
    check(handle.status_url.startsWith(`${QUEUE}/${id}/requests/`), handle.status_url);
    const result = await fal.subscribe(id, { input, pollInterval: 20 });
    onOrigin(pick(result.data));
    return { request_id: result.requestId };
  });
}

await step("storage.upload of a small Blob", async () => {
  const url = await fal.storage.upload(new Blob(["hello fal"], { type: "text/plain" }));
  onOrigin(url);
  check((await (await fetch(url)).text()) === "hello fal", "content");
  return { url };
});

await step("storage.upload of a > 90 MiB Blob (multipart)", async () => {
  const size = 95 * 1024 * 1024 + 12345;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) & 0xff;
  const url = await fal.storage.upload(new Blob([bytes], { type: "application/octet-stream" }));
  onOrigin(url);
  const back = new Uint8Array(await (await fetch(url)).arrayBuffer());
  check(back.length === size, `size ${back.length}`);
  check(sha256(back) === sha256(bytes), "content differs");
  return { url, size, sha256: sha256(bytes) };
});

await step("Blob inputs are uploaded before the submit", async () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const result = await fal.subscribe("comfy/faltui-demo/upscale-image", {
    input: { image_url: new Blob([png], { type: "image/png" }) },
    pollInterval: 20,
  });
  return { request_id: result.requestId };
});

await step("fal.run (sync) goes to the run host and returns the output", async () => {
  const result = await fal.run(FLUX, { input: { prompt: "now", num_images: 2 } });
  check(result.data.images.length === 2, "images");
  check(result.requestId, "requestId");
  onOrigin(result.data.images[0].url, RUN);
  return { request_id: result.requestId };
});

await step("fal.stream returns partial outputs then the final one", async () => {
  const stream = await fal.stream("openrouter/router", { input: { prompt: "tell me a story", model: "m" } });
  const partials = [];
  for await (const event of stream) partials.push(event);
  const done = await stream.done();
  check(partials.length > 2 && partials[0].partial === true, `${partials.length} events`);
  check(done.output.endsWith("tell me a story"), done.output);
  return { events: partials.length };
});

await step("422 field errors become a ValidationError naming the fields", async () => {
  const error = await expectError(
    fal.subscribe(FLUX, { input: { num_images: 99 }, pollInterval: 20 }),
    ValidationError,
  );
  check(error.status === 422, `status ${error.status}`);
  check(error.getFieldErrors("prompt").length === 1, "prompt");
  check(error.getFieldErrors("num_images").length === 1, "num_images");
  return { fields: error.fieldErrors.map((e) => e.loc.join(".")) };
});

await step("a model crash surfaces as an ApiError with fal's detail", async () => {
  await admin({ jobs: [{ outcome: "app_error" }] });
  const error = await expectError(fal.subscribe(FLUX, { input: { prompt: "x" }, pollInterval: 20 }));
  check(error.status === 500, `status ${error.status}`);
  check(JSON.stringify(error.body).includes("Emulated model crash"), JSON.stringify(error.body));
  return {};
});

await step("startTimeout: an expired start is a user timeout (504)", async () => {
  await admin({ timeline: { queue_ticks: 500 } });
  const error = await expectError(
    fal.subscribe(FLUX, { input: { prompt: "late" }, startTimeout: 2, pollInterval: 20 }),
  );
  check(error.status === 504 && error.isUserTimeout, `status ${error.status}`);
  return {};
});

await step("an unknown endpoint is a 404 ApiError", async () => {
  const error = await expectError(fal.queue.submit("fal-ai/does-not-exist", { input: {} }));
  check(error.status === 404, `status ${error.status}`);
  return {};
});

await step("a wrong key is a 401 ApiError", async () => {
  const wrong = createFalClient({ ...settings, credentials: "wrong:key" });
  const error = await expectError(wrong.queue.submit(FLUX, { input: { prompt: "x" } }));
  check(error.status === 401, `status ${error.status}`);
  return {};
});

await step("a 503 on submit is retried", async () => {
  await admin({ fail_next: [{ route: "submit", status: 503 }] });
  const handle = await fal.queue.submit(FLUX, { input: { prompt: "retry" } });
  return { request_id: handle.request_id };
});

await step("a 500 while polling is retried", async () => {
  await admin({ fail_next: [{ route: "status", status: 500 }] });
  const result = await fal.subscribe(FLUX, { input: { prompt: "poll retry" }, pollInterval: 20 });
  return { request_id: result.requestId };
});

await step("a temporary auth token (POST rest/tokens/)", async () => {
  const token = await getTemporaryAuthToken(FLUX, createConfig(settings));
  check(typeof token === "string" && token.split(".").length === 3, String(token));
  return {};
});

await step("a webhook is delivered when the request completes", async () => {
  const received = new Promise((resolve) => {
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        response.end("ok");
        server.close();
        resolve(JSON.parse(body));
      });
    });
    server.listen(0, "127.0.0.1", async () => {
      const { port } = server.address();
      const handle = await fal.queue.submit(FLUX, {
        input: { prompt: "hook" },
        webhookUrl: `http://127.0.0.1:${port}/hook`,
      });
      server.requestId = handle.request_id;
    });
  });
  const payload = await received;
  check(payload.status === "OK" && payload.payload.images.length === 1, JSON.stringify(payload));
  onOrigin(payload.payload.images[0].url);
  return { request_id: payload.request_id };
});

console.log(JSON.stringify({ results, followed }));
