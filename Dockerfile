# syntax=docker/dockerfile:1
# lifeboat's container image: the compiled operator on Node 24, production dependencies only, non-root.
#
#   docker build -t lifeboat:dev .
#
# test/integration/artefact.test.ts builds the same dist/ with the same command and runs ENTRYPOINT + CMD against a
# real API server, checking every listener (lessons F12: the image once shipped a binary without its webhook port).
# The base, pinned by digest (the multi-arch index of node:24-bookworm-slim, Node 24.18.0): a rebuild gets the same
# base until someone moves the pin on purpose. docs/install.md "The container image" says how to update it, and how to
# build with a base made locally (--build-arg NODE_IMAGE=...) where no registry is reachable.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# Bundle the TypeScript sources into dist/ (scripts/build.ts and bundle.ts; esbuild is a dev dependency, so this stage installs
# everything; its native binary comes as an optional package, so no install script has to run).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts scripts/bundle.ts ./scripts/
COPY src ./src
RUN npm run build

# Runtime dependencies only, from the lockfile: the bundle carries the others' code, but loads @kubernetes/client-node
# from here for kubeconfigs that need it.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# glibc's malloc gives every thread that allocates (V8's compiler and garbage-collector helpers, libuv's pool) an arena
# of its own, and memory freed there stays with that thread. One arena measured ~13 MiB less resident memory for an
# operator watching 5,000 PVCs (bench/memory.ts, which starts the process with this ENV).
ENV MALLOC_ARENA_MAX=1
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# package.json marks dist/ as ES modules ("type": "module"); the version `lifeboat version` prints is built in.
COPY package.json ./
# 65532: the conventional non-root uid (distroless "nonroot") when the image runs on its own; the chart runs the pod
# as the repository's owner instead (podSecurityContext, default the movers' 568), so it can read kopia's 0600 files.
USER 65532:65532
EXPOSE 8080 9443
# V8 flags measured by bench/memory.ts (which reads them from here, as the other benchmarks and the artefact test do;
# docs/install.md "Resources" has the figures):
# - a small young generation and a capped old one keep an operator watching 5,000 PVCs near 100 MiB instead of
#   ~275 MiB after a burst; with 2 MiB semi-spaces rather than 1, fewer of a convergence's short-lived objects are
#   promoted to die in the old generation (a median peak ~1.5 MiB lower, same conditions);
# - --jitless --optimize-for-size: no optimising compilers, so none of their code pages, optimised code or the heap
#   slack they leave, and a heap V8 keeps small. Together ~10 MiB less idle (~69 MiB) and ~20 MiB less at 5,000 PVCs
#   (98-119 MiB). lifeboat's heavy work is native either way (JSON, TLS, AES, scrypt, zstd; Poly1305 on BigInt); the
#   cost is its own and node's JavaScript running interpreted: a first convergence of 1,000 PVCs ~13% slower, an
#   admission p99 of 2 ms. --jitless also turns WebAssembly off, which nothing in the image uses.
# - --incremental-marking-soft-trigger=30 --incremental-marking-hard-trigger=60: start marking for a full collection
#   once 30% (at the latest 60%) of the old generation's headroom is used, not when it is nearly all gone. With
#   --optimize-for-size every full collection reduces memory, and V8 then sets the next limit at least 8 MB above the
#   live size; marking begun late let one collection per convergence start 10-14 MB above it, and its compaction
#   adds 6-8 MiB for a moment: the peak at 5,000 PVCs. Twice as many full collections, each on a smaller heap.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--max-old-space-size=192", "--jitless", "--optimize-for-size", "--incremental-marking-soft-trigger=30", "--incremental-marking-hard-trigger=60", "dist/lifeboat.js"]
CMD ["run", "--config", "/etc/lifeboat/config.yaml"]
