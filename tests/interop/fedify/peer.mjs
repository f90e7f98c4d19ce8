// Fedify as a peer of the interop suite (run by tests/interop/test_fedify.py).
//
//   node peer.mjs serve HOST PORT LOG [--rfc9421-only]
//
// A Fedify server with one actor, "fedi", that logs every activity its inbox verifies (one
// JSON line each, to LOG) and takes orders on POST /control/ORDER (a JSON body):
//   lookup {urls}   each document as Fedify parses it
//   expand {urls}   JSON-LD expansion in safe mode (an undefined term fails)
//   verify {urls}   FEP-8b32 proofs checked by Fedify's verifyObject
//   fetch {url}     the raw document
//   follow {target}, reply {inReplyTo, to, content}, vote {question, to, choice}
// Every fetch is signed as "fedi" (servers with authorized fetch answer nothing else).
//
// FEDIFY names the package to load (@fedify/fedify, or fedify-1.5 for Fedify 1.5.9).
// Like a peer without network, it reads only contexts that its Fedify ships: fetches leave
// for loopback addresses only.

import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const F = await import(process.env.FEDIFY ?? "@fedify/fedify");
const jsonld = (await import("jsonld")).default;

const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (!url.hostname.startsWith("127.")) {
    return Promise.reject(new TypeError(`offline: ${url.href} is not on loopback`));
  }
  return realFetch(input, init);
};

const contextLoader = F.getDocumentLoader({ allowPrivateAddress: true });

const text = (value) => (value == null ? null : value.toString());
const href = (value) => (value == null ? null : value.href ?? value.toString());

async function all(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function describe(obj, options) {
  if (obj == null) return null;
  const d = {
    class: obj.constructor.name,
    id: href(obj.id),
    name: text(obj.name),
    summary: text(obj.summary),
    content: text(obj.content),
    attributedTo: href(obj.attributionId),
    published: text(obj.published),
    updated: text(obj.updated),
    startTime: text(obj.startTime),
    endTime: text(obj.endTime),
    inReplyTo: href(obj.replyTargetId),
    to: obj.toIds.map(href),
    cc: obj.ccIds.map(href),
    urls: obj.urls.map(href),
    tags: (await all(obj.getTags(options))).map((t) => ({
      class: t.constructor.name,
      name: text(t.name),
      href: href(t.href),
    })),
  };
  if (typeof obj.getLocation === "function") {
    const place = await obj.getLocation(options).catch(() => null);
    d.location = place == null ? null : { class: place.constructor.name, name: text(place.name) };
  }
  if (obj instanceof F.Question) {
    const names = async (options_) => (await all(options_)).map((o) => text(o.name));
    d.oneOf = await names(obj.getExclusiveOptions(options));
    d.anyOf = await names(obj.getInclusiveOptions(options));
    d.closed = text(obj.closed);
    d.voters = obj.voters;
  }
  if (F.isActor(obj)) {
    d.preferredUsername = text(obj.preferredUsername);
    d.inbox = href(obj.inboxId);
    d.outbox = href(obj.outboxId);
    d.followers = href(obj.followersId);
    d.following = href(obj.followingId);
    d.sharedInbox = href(obj.endpoints?.sharedInbox);
    d.manuallyApprovesFollowers = obj.manuallyApprovesFollowers;
    d.discoverable = obj.discoverable;
    d.publicKeys = (await all(obj.getPublicKeys(options))).map((k) => ({
      id: href(k.id),
      owner: href(k.ownerId),
      algorithm: k.publicKey?.algorithm?.name ?? null,
    }));
    d.assertionMethods = (await all(obj.getAssertionMethods(options))).map((k) => ({
      id: href(k.id),
      controller: href(k.controllerId),
      algorithm: k.publicKey?.algorithm?.name ?? null,
    }));
  }
  if (obj instanceof F.Collection) {
    d.totalItems = obj.totalItems;
    d.first = href(obj.firstId);
  }
  if (obj instanceof F.Activity) {
    d.actor = href(obj.actorId);
    d.object = href(obj.objectId);
  }
  d.compacted = await obj.toJsonLd({ format: "compact", contextLoader });
  return d;
}

async function lookup(urls, options) {
  const out = [];
  for (const url of urls) {
    try {
      const obj = await F.lookupObject(url, options);
      out.push({ url, ok: obj != null, ...(await describe(obj, options)) });
    } catch (error) {
      out.push({ url, ok: false, error: String(error) });
    }
  }
  return out;
}

async function expand(urls, options) {
  const out = [];
  for (const url of urls) {
    try {
      const { document } = await options.documentLoader(url);
      const expanded = await jsonld.expand(document, {
        documentLoader: contextLoader,
        safe: true,
      });
      out.push({ url, ok: true, nodes: expanded.length });
    } catch (error) {
      out.push({ url, ok: false, error: `${error.name}: ${error.message}`, details: error.details ?? null });
    }
  }
  return out;
}

async function verify(urls, options) {
  const out = [];
  for (const url of urls) {
    try {
      const { document: doc } = await options.documentLoader(url);
      const types = [doc.type].flat();
      const name = types.find((t) => typeof F[t] === "function" && F[t].fromJsonLd) ?? "Object";
      const verified = await F.verifyObject(F[name], doc, options);
      out.push({ url, ok: verified != null, class: name });
    } catch (error) {
      out.push({ url, ok: false, error: String(error) });
    }
  }
  return out;
}

async function serve(host, port, log, rfc9421Only) {
  const origin = `http://${host}:${port}`;
  const federation = F.createFederation({
    kv: new F.MemoryKvStore(),
    allowPrivateAddress: true,
  });
  const keys = [
    await F.generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
    await F.generateCryptoKeyPair("Ed25519"),
  ];
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== "fedi") return null;
      const pairs = await ctx.getActorKeyPairs(identifier);
      return new F.Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Fedify peer",
        inbox: ctx.getInboxUri(identifier),
        endpoints: new F.Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: pairs[0].cryptographicKey,
        assertionMethods: pairs.map((p) => p.multikey),
      });
    })
    .setKeyPairsDispatcher(async () => keys);
  const record = async (ctx, activity) => {
    const object = await activity.getObject({ contextLoader }).catch(() => null);
    const line = {
      type: activity.constructor.name,
      id: href(activity.id),
      actor: href(activity.actorId),
      object: href(activity.objectId),
      described: object == null ? null : await describe(object, { contextLoader }),
      signature: ctx.data.scheme,
    };
    appendFileSync(log, JSON.stringify(line) + "\n");
  };
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(F.Accept, record)
    .on(F.Reject, record)
    .on(F.Create, record)
    .on(F.Update, record)
    .on(F.Delete, record)
    .on(F.Announce, record)
    .on(F.Undo, record)
    .onError((_ctx, error) => console.error("inbox error", error));

  const me = { identifier: "fedi" };
  const signed = async (ctx) => ({ documentLoader: await ctx.getDocumentLoader(me), contextLoader });
  const control = {
    lookup: async (ctx, body) => lookup(body.urls, await signed(ctx)),
    expand: async (ctx, body) => expand(body.urls, await signed(ctx)),
    verify: async (ctx, body) => verify(body.urls, await signed(ctx)),
    fetch: async (ctx, body) => (await (await signed(ctx)).documentLoader(body.url)).document,
    // {target}: follow the actor at `target`
    follow: async (ctx, body) => {
      const target = await ctx.lookupObject(body.target);
      await ctx.sendActivity(me, target, new F.Follow({
        id: new URL(`${origin}/activities/${crypto.randomUUID()}`),
        actor: ctx.getActorUri("fedi"),
        object: target.id,
      }));
    },
    // {inReplyTo, to, content}: a public reply to `inReplyTo`, sent to `to`
    reply: async (ctx, body) => {
      const target = await ctx.lookupObject(body.to);
      const id = new URL(`${origin}/notes/${crypto.randomUUID()}`);
      await ctx.sendActivity(me, target, new F.Create({
        id: new URL(`${id.href}/activity`),
        actor: ctx.getActorUri("fedi"),
        to: F.PUBLIC_COLLECTION,
        cc: target.id,
        object: new F.Note({
          id,
          attribution: ctx.getActorUri("fedi"),
          to: F.PUBLIC_COLLECTION,
          cc: target.id,
          replyTarget: new URL(body.inReplyTo),
          content: body.content,
        }),
      }));
      return { id: id.href };
    },
    // {question, to, choice}: a vote as Mastodon sends one (a Note named after the choice)
    vote: async (ctx, body) => {
      const target = await ctx.lookupObject(body.to);
      const id = new URL(`${origin}/votes/${crypto.randomUUID()}`);
      await ctx.sendActivity(me, target, new F.Create({
        id: new URL(`${id.href}/activity`),
        actor: ctx.getActorUri("fedi"),
        to: target.id,
        object: new F.Note({
          id,
          attribution: ctx.getActorUri("fedi"),
          to: target.id,
          name: body.choice,
          replyTarget: new URL(body.question),
        }),
      }));
      return { id: id.href };
    },
  };

  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, origin);
    try {
      if (req.method === "POST" && url.pathname.startsWith("/control/")) {
        const order = control[url.pathname.slice("/control/".length)];
        const ctx = federation.createContext(new URL(origin), undefined);
        const result = await order(ctx, JSON.parse(body.toString()));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(result ?? {}));
        return;
      }
      if (rfc9421Only && req.method === "POST" && !req.headers["signature-input"]) {
        res.writeHead(401).end("RFC 9421 signatures only");
        return;
      }
      const request = new Request(url, {
        method: req.method,
        headers: req.headers,
        body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
      });
      // the scheme of the request's signature, for the inbox log (no queue: listeners run
      // within this request)
      const scheme = req.headers["signature-input"] ? "rfc9421" : "cavage";
      const response = await federation.fetch(request, { contextData: { scheme } });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error?.stack ?? error));
    }
  });
  server.listen(Number(port), host, () => console.log(`listening ${origin}`));
}

const [command, ...args] = process.argv.slice(2);
if (command === "serve") {
  await serve(args[0], args[1], args[2], args.includes("--rfc9421-only"));
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
