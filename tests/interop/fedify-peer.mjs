// A Fedify server on loopback for Passerelle's interoperability test
// (tests/integration/fedify.rs): one actor, `tester`, that accepts every
// Follow, follows whom it is told to, and records what it receives as
// Fedify parsed it. Usage: PORT=… node fedify-peer.mjs
//
// Control endpoints (plain JSON, loopback only):
//   POST /control/follow   {"target": "<actor URL>"}  sends a Follow
//   GET  /control/received                            what the inbox parsed
//   POST /control/verify   {"url": "<object URL>"}    fetches an object and
//                                                     verifies its FEP-8b32 proof
//   POST /control/publish  {}                         sends a Create(Note) to its
//                                                     followers with FEP-8fcf's
//                                                     Collection-Synchronization header
//   GET  /control/followers                           the followers' actor ids

import http from "node:http";
import {
  Accept,
  Create,
  createFederation,
  Delete,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  Note,
  Undo,
  getDocumentLoader,
  InProcessMessageQueue,
  MemoryKvStore,
  Object as APObject,
  Person,
  Reject,
  Update,
  verifyObject,
} from "@fedify/fedify";

if (process.env.FEDIFY_DEBUG) {
  const { configure, getConsoleSink } = await import("@logtape/logtape");
  await configure({
    sinks: { console: getConsoleSink() },
    loggers: [{ category: "fedify", sinks: ["console"], lowestLevel: "debug" }],
  });
}

const port = Number(process.env.PORT);
const origin = `http://localhost:${port}`;
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });

const federation = createFederation({
  kv: new MemoryKvStore(),
  queue: new InProcessMessageQueue(),
  allowPrivateAddress: true,
  origin,
});

const keys = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];
const received = [];
// Accepted followers: actor id -> { id, inboxId, endpoints } to send to.
const followers = new Map();

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "tester") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify tester",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((pair) => pair.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === "tester" ? keys : []
  );

// The followers collection; with `?base-url=` Fedify lists only the
// followers on that origin (the FEP-8fcf partial collection).
federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  (_ctx, identifier) =>
    identifier === "tester" ? { items: [...followers.values()] } : null,
);

function record(ctx, activity, extra) {
  received.push({
    type: activity.constructor.name,
    id: activity.id?.href,
    actor: activity.actorId?.href,
    ...extra,
  });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    record(ctx, follow, {});
    const follower = await follow.getActor(ctx);
    if (follower == null) return;
    followers.set(follower.id.href, {
      id: follower.id,
      inboxId: follower.inboxId,
      endpoints: follower.endpoints,
    });
    await ctx.sendActivity(
      { identifier: "tester" },
      follower,
      new Accept({
        id: new URL(`#accepts/${crypto.randomUUID()}`, ctx.getActorUri("tester")),
        actor: ctx.getActorUri("tester"),
        object: follow,
      }),
    );
  })
  .on(Accept, async (ctx, accept) => record(ctx, accept, {}))
  .on(Reject, async (ctx, reject) => record(ctx, reject, {}))
  .on(Create, async (ctx, create) => {
    const object = await create.getObject(ctx);
    record(ctx, create, {
      // The vocabulary class Fedify parsed it as (bundled class names are
      // mangled; their type IRIs are not).
      objectType: object?.constructor.typeId?.href,
      objectId: object?.id?.href,
      name: object?.name?.toString(),
    });
  })
  .on(Update, async (ctx, update) => record(ctx, update, {}))
  .on(Undo, async (ctx, undo) => {
    record(ctx, undo, {});
    const object = await undo.getObject(ctx);
    if (object instanceof Follow && undo.actorId != null) {
      followers.delete(undo.actorId.href);
    }
  })
  .on(Delete, async (ctx, del) => record(ctx, del, {}))
  .onError((_ctx, error) => {
    received.push({ type: "error", message: String(error) });
  });

async function body(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function control(request, response) {
  const url = new URL(request.url, origin);
  const json = (status, value) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(value));
  };
  if (url.pathname === "/control/received") return json(200, received);
  if (url.pathname === "/control/followers") return json(200, [...followers.keys()]);
  const input = JSON.parse((await body(request)).toString() || "{}");
  const ctx = federation.createContext(new URL(origin), undefined);
  if (url.pathname === "/control/follow") {
    const target = await ctx.lookupObject(input.target);
    if (target == null) return json(404, { error: "not found" });
    await ctx.sendActivity(
      { identifier: "tester" },
      target,
      new Follow({
        id: new URL(`#follows/${crypto.randomUUID()}`, ctx.getActorUri("tester")),
        actor: ctx.getActorUri("tester"),
        object: target.id,
      }),
    );
    return json(202, { sent: true });
  }
  if (url.pathname === "/control/publish") {
    const id = new URL(`/notes/${crypto.randomUUID()}`, origin);
    await ctx.sendActivity(
      { identifier: "tester" },
      "followers",
      new Create({
        id: new URL(`#create`, id),
        actor: ctx.getActorUri("tester"),
        object: new Note({ id, content: "hello followers" }),
        tos: [ctx.getFollowersUri("tester")],
      }),
      { syncCollection: true, immediate: true },
    );
    return json(202, { sent: true });
  }
  if (url.pathname === "/control/verify") {
    const { document } = await documentLoader(input.url);
    try {
      const verified = await verifyObject(APObject, document, {
        documentLoader,
        contextLoader: documentLoader,
      });
      return json(200, {
        verified: verified != null,
        type: verified?.constructor.typeId?.href,
      });
    } catch (error) {
      return json(200, { verified: false, error: String(error) });
    }
  }
  json(404, { error: "no such control" });
}

http
  .createServer(async (request, response) => {
    try {
      if (request.url.startsWith("/control/")) return await control(request, response);
      const payload = await body(request);
      const fetched = await federation.fetch(
        new Request(new URL(request.url, origin), {
          method: request.method,
          headers: Object.entries(request.headers).flatMap(([name, value]) =>
            Array.isArray(value) ? value.map((v) => [name, v]) : [[name, value]]
          ),
          body: ["GET", "HEAD"].includes(request.method) ? undefined : payload,
        }),
        { contextData: undefined },
      );
      response.writeHead(fetched.status, Object.fromEntries(fetched.headers));
      response.end(Buffer.from(await fetched.arrayBuffer()));
    } catch (error) {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    }
  })
  .listen(port, "127.0.0.1", () => console.log(`fedify peer on ${origin}`));
