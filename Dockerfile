# syntax=docker/dockerfile:1
# One image for every role. The default command runs the embedded service; compose picks the role
# with `node ... dist/services/api/main.js` or `dist/services/worker/main.js`. Production runs the
# compiled JavaScript on plain node (no npm, no tsx), so node is PID 1's child-free main process and
# receives SIGTERM itself.

FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
# Toolchain only for the rare case better-sqlite3 has no prebuilt binary for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY services ./services
COPY instrumentation ./instrumentation
COPY telemetry-bridge ./telemetry-bridge
RUN node scripts/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24.22.3-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    METRICS_PORT=9464 \
    RENDER_DATA_DIR=/app/data \
    HEALTHCHECK_URL=http://127.0.0.1:3000/healthz
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
# The base image's unprivileged user (uid 1000).
USER node
EXPOSE 3000 9464
# Workers have no API: compose points HEALTHCHECK_URL at their metrics server's /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch(process.env.HEALTHCHECK_URL).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# tini reaps zombies and forwards signals to node; node itself handles SIGTERM (drain, then exit).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "./dist/instrumentation/register.js"]
CMD ["dist/services/main.js"]
