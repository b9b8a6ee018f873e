# syntax=docker/dockerfile:1
# One image for every role: `npm run api`, `npm run worker` or `npm start` (embedded, the default).

FROM node:20.20.0-bookworm-slim AS deps
WORKDIR /app
# Toolchain only for the rare case better-sqlite3 has no prebuilt binary for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# tsx runs the TypeScript at runtime and is a production dependency, so dev dependencies stay out.
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20.20.0-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    METRICS_PORT=9464 \
    RENDER_DATA_DIR=/app/data \
    HEALTHCHECK_URL=http://127.0.0.1:3000/healthz
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json package-lock.json tsconfig.json ./
COPY --chown=node:node services ./services
COPY --chown=node:node instrumentation ./instrumentation
COPY --chown=node:node telemetry-bridge ./telemetry-bridge
RUN mkdir -p /app/data && chown node:node /app/data
# The base image's unprivileged user (uid 1000).
USER node
EXPOSE 3000 9464
# Workers have no API: compose points HEALTHCHECK_URL at their metrics server's /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch(process.env.HEALTHCHECK_URL).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["npm", "start"]
