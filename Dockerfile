# One image for every figdesk service; docker-compose gives each its own command.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY tools ./tools
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY keycloak ./keycloak
USER node
# Overridden per service: migration-proxy | incidents | clients | orders | legacy-crm
CMD ["node", "dist/src/service.js", "migration-proxy"]
