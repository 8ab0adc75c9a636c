# hookstream as a container image: `docker build -t hookstream .`
#
#   docker run --rm -v "$PWD/config.json:/etc/hookstream/config.json:ro" -p 9601:9601 hookstream
#   docker run --rm -v ... hookstream topics create --config /etc/hookstream/config.json
#
# The image runs as the unprivileged `node` user (uid 1000): a mounted config must be
# readable by it (a mode-600 file of another user gives EACCES; chmod 644 it, or run with
# --user "$(id -u)").
#
# The entrypoint is the `hookstream` CLI (package.json "bin"), so the arguments are a
# command and its options; the default command runs the delivery service on the config
# mounted at /etc/hookstream/config.json. docker-compose.yml runs the whole stack.
# Not built in CI (there is no Docker engine there): test/unit/docker/compose.test.ts
# checks this file statically.

ARG NODE_IMAGE=node:24-alpine

# ---- build: every dependency, TypeScript compiled to dist/src ---------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# tsconfig.json also includes test/ and bench/; only src/ is copied, so only src/ compiles.
RUN npm run build

# ---- runtime: production dependencies only, runs as the unprivileged `node` user --------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY schemas ./schemas
COPY config.example.json ./
USER node
# /metrics, /healthz and /readyz (metrics.port of the config).
EXPOSE 9601
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start", "--config", "/etc/hookstream/config.json"]
