# syntax=docker/dockerfile:1
# Conveyor: one image for every role (PROCESS_ROLE=api | worker | all).

# --- build: compile TypeScript to dist/ ---------------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build

# --- runtime: production dependencies and the compiled code only --------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    ARTIFACTS_DIR=/app/artifacts
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The artifacts folder belongs to the unprivileged user, so a named volume mounted there inherits it.
RUN mkdir -p /app/artifacts && chown node:node /app/artifacts
USER node
EXPOSE 3000
# Liveness of the HTTP roles (api, all); slim images have no curl, so Node's fetch asks. Workers serve no
# HTTP: docker-compose.yml gives them a check of their own.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
